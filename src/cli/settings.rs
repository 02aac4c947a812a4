//! Turns command-line settings into a profile and the secrets that go with it, for `profile add`,
//! `profile edit` and the one-off `--url` mode, through the engine's [`Draft`], which holds the
//! rules every front end shares (secret references, reserved sign-in parameters); a value the
//! draft refuses is a usage error, named by its flag. Secret values are read here, from stdin, a
//! terminal prompt or the environment, and never from an argument.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Read};
use std::path::Path;

use anyhow::{Context, Result};

use lanyard::Secret;
use lanyard::ids::{SecretRef, SourceId};
use lanyard::profile::{
    Auth, ClientCredentialsSettings, ClientKey, Draft, DraftError, EnterpriseSettings, KeyAlg, NewSecrets,
    OAuthSettings, Profile, Sandbox, Transport, Value, auth_params,
};
use lanyard::vault::ExternalRef;

use super::args::{AuthKind, AuthSettings, HttpTransport, ProfileSettings};
use super::exit::UsageError;

/// Builds a new profile from `settings` and, for stdio, `command`.
pub fn new_profile(
    id: SourceId,
    settings: &ProfileSettings,
    command: &[String],
) -> Result<(Profile, NewSecrets)> {
    let transport = match (&settings.url, command.split_first()) {
        (Some(_), Some(_)) => {
            return Err(UsageError::new("give either --url or a command after `--`, not both").into());
        }
        (None, None) => {
            return Err(UsageError::new(
                "give --url <url> for an HTTP server, or `-- <command> [args...]` for stdio",
            )
            .into());
        }
        (Some(url), None) => match settings.transport {
            Some(HttpTransport::Sse) => Transport::Sse { url: url.clone(), headers: BTreeMap::new() },
            Some(HttpTransport::Http) | None => {
                Transport::Http { url: url.clone(), headers: BTreeMap::new() }
            }
        },
        (None, Some((program, args))) => Transport::Stdio {
            command: program.clone(),
            args: args.to_vec(),
            env: BTreeMap::new(),
            cwd: None,
        },
    };
    let mut draft = Draft::new(Profile::new(id, transport));
    apply(&mut draft, settings)?;
    Ok(draft.finish())
}

/// Applies every setting given on the command line to `draft`, new secrets included.
pub fn apply(draft: &mut Draft, settings: &ProfileSettings) -> Result<()> {
    let profile = draft.profile_mut();
    if let Some(name) = &settings.name {
        profile.name = Some(name.clone());
    }
    let is_stdio = matches!(profile.transport, Transport::Stdio { .. });
    if let Some(url) = &settings.url {
        match &mut profile.transport {
            Transport::Http { url: old, .. } | Transport::Sse { url: old, .. } => *old = url.clone(),
            Transport::Stdio { .. } => {
                return Err(UsageError::new("--url does not apply to a stdio source").into());
            }
        }
    }
    if let Some(kind) = settings.transport {
        let (url, headers) = match &profile.transport {
            Transport::Http { url, headers } | Transport::Sse { url, headers } => {
                (url.clone(), headers.clone())
            }
            Transport::Stdio { .. } => {
                return Err(UsageError::new("--transport does not apply to a stdio source").into());
            }
        };
        profile.transport = match kind {
            HttpTransport::Http => Transport::Http { url, headers },
            HttpTransport::Sse => Transport::Sse { url, headers },
        };
    }

    let any_header = !settings.header.is_empty()
        || !settings.header_secret.is_empty()
        || !settings.header_secret_env.is_empty()
        || !settings.header_ref.is_empty();
    let any_env = !settings.env.is_empty()
        || !settings.env_secret.is_empty()
        || !settings.env_secret_env.is_empty()
        || !settings.env_ref.is_empty();
    if any_header && is_stdio {
        return Err(UsageError::new("headers apply to --url sources; a stdio server takes --env").into());
    }
    if (any_env || settings.cwd.is_some()) && !is_stdio {
        return Err(UsageError::new("--env and --cwd apply to stdio sources").into());
    }

    if let (Transport::Stdio { cwd, .. }, Some(dir)) = (&mut profile.transport, &settings.cwd) {
        *cwd = Some(dir.clone());
    }
    apply_sandbox(profile, settings, is_stdio)?;
    let flags = if is_stdio {
        ValueFlags {
            plain: (&settings.env, '=', "--env", "NAME=value"),
            from_stdin: (&settings.env_secret, "--env-secret"),
            from_env: (&settings.env_secret_env, "--env-secret-env"),
            from_manager: (&settings.env_ref, "--env-ref"),
        }
    } else {
        ValueFlags {
            plain: (&settings.header, ':', "--header", "Name: value"),
            from_stdin: (&settings.header_secret, "--header-secret"),
            from_env: (&settings.header_secret_env, "--header-secret-env"),
            from_manager: (&settings.header_ref, "--header-ref"),
        }
    };
    flags.apply(draft, &mut SecretInput::new())?;
    let profile = draft.profile_mut();
    if let Some(path) = &settings.ca_bundle {
        if is_stdio {
            return Err(UsageError::new("--ca-bundle applies to --url sources").into());
        }
        // A path without variables is checked now, so a typo is caught before it is saved, and
        // saved absolute, since `lanyard serve` and the app run in other folders.
        let path = if path.to_string_lossy().contains("${") {
            path.clone()
        } else {
            lanyard::net::CaBundle::read(profile.id(), path)?;
            std::path::absolute(path).with_context(|| format!("make {} absolute", path.display()))?
        };
        profile.ca_bundle = Some(path);
    }
    if let Some(seconds) = settings.connect_timeout {
        profile.timeouts.connect_secs = seconds;
    }
    if let Some(seconds) = settings.request_timeout {
        profile.timeouts.request_secs = seconds;
    }
    if let Some(protocol) = settings.protocol {
        profile.protocol = protocol;
    }
    if let Some(prefix) = &settings.merged_prefix {
        profile.merged_prefix = Some(prefix.clone());
    }
    if let Some(changes) = &settings.tool_changes {
        profile.tool_changes = changes.parse().map_err(UsageError::new)?;
    }
    if settings.review_first || settings.no_review_first {
        profile.review_first = settings.review_first;
    }
    if !settings.include.is_empty() {
        profile.tools.include = settings.include.clone();
    }
    if !settings.exclude.is_empty() {
        profile.tools.exclude = settings.exclude.clone();
    }
    for pair in &settings.alias {
        let (tool, alias) = split_pair(pair, "--alias", "tool=alias")?;
        profile.tools.alias.insert(tool, alias);
    }
    for pair in &settings.description {
        let (tool, text) = split_pair(pair, "--description", "tool=text")?;
        profile.tools.description.insert(tool, text);
    }
    apply_auth(draft, settings, any_header)
}

/// The fence flags: any `--sandbox-*` turns the fence on (network `none` unless given) and
/// replaces the lists and limits it names; `--no-sandbox` removes it. Paths without variables are saved
/// absolute, since the server may be started from another folder.
fn apply_sandbox(profile: &mut Profile, settings: &ProfileSettings, is_stdio: bool) -> Result<()> {
    let any = settings.sandbox_network.is_some()
        || !settings.sandbox_read.is_empty()
        || !settings.sandbox_write.is_empty()
        || settings.sandbox_memory.is_some()
        || settings.sandbox_open_files.is_some();
    if (any || settings.no_sandbox) && !is_stdio {
        return Err(UsageError::new(
            "the --sandbox flags apply to stdio sources; an http or sse server runs elsewhere",
        )
        .into());
    }
    if settings.no_sandbox {
        profile.sandbox = None;
    }
    if !any {
        return Ok(());
    }
    let absolute = |paths: &[std::path::PathBuf]| -> Result<Vec<std::path::PathBuf>> {
        paths
            .iter()
            .map(|path| {
                if path.to_string_lossy().contains("${") {
                    Ok(path.clone())
                } else {
                    std::path::absolute(path).with_context(|| format!("make {} absolute", path.display()))
                }
            })
            .collect()
    };
    let sandbox = profile.sandbox.get_or_insert_with(Sandbox::default);
    if let Some(network) = &settings.sandbox_network {
        sandbox.network = network.parse().map_err(UsageError::new)?;
    }
    if !settings.sandbox_read.is_empty() {
        sandbox.read = absolute(&settings.sandbox_read)?;
    }
    if !settings.sandbox_write.is_empty() {
        sandbox.write = absolute(&settings.sandbox_write)?;
    }
    if let Some(mb) = settings.sandbox_memory {
        sandbox.memory_mb = Some(mb);
    }
    if let Some(files) = settings.sandbox_open_files {
        sandbox.open_files = Some(files);
    }
    Ok(())
}

/// The four ways to give a header or an environment variable: plain text, a secret from stdin,
/// a secret from another variable and a reference to a password manager. Headers and env take
/// the same flags with other names.
struct ValueFlags<'a> {
    /// The values, the separator between name and value, the flag and the expected shape.
    plain: (&'a [String], char, &'static str, &'static str),
    from_stdin: (&'a [String], &'static str),
    from_env: (&'a [String], &'static str),
    from_manager: (&'a [String], &'static str),
}

impl ValueFlags<'_> {
    /// Sets the values on `draft`, whose transport takes them (headers, or a stdio's env).
    fn apply(&self, draft: &mut Draft, stdin: &mut SecretInput) -> Result<()> {
        let (values, separator, flag, shape) = self.plain;
        for given in values {
            let (name, value) = given
                .split_once(separator)
                .map(|(n, v)| (n.trim(), v.trim()))
                .filter(|(n, _)| !n.is_empty())
                .ok_or_else(|| UsageError::new(format!("{flag} `{given}`: expected `{shape}`")))?;
            refuse_plain_credential(name, value, self.from_stdin.1)?;
            draft.set_value(name, Value::Text(value.to_owned())).map_err(|e| refused(flag, given, e))?;
        }
        for name in self.from_stdin.0 {
            let value = Value::Secret(stdin.read(&format!("Value of {name}"))?);
            draft.set_value(name, value).map_err(|e| refused(self.from_stdin.1, name, e))?;
        }
        for pair in self.from_env.0 {
            let (name, value) = from_env(pair, self.from_env.1)?;
            draft.set_value(&name, Value::Secret(value)).map_err(|e| refused(self.from_env.1, pair, e))?;
        }
        let (pairs, flag) = self.from_manager;
        for pair in pairs {
            let (name, reference) = split_pair(pair, flag, "NAME=REFERENCE")?;
            let reference = manager_reference(&reference, flag)?;
            draft.set_value(&name, Value::Reference(reference)).map_err(|e| refused(flag, pair, e))?;
        }
        Ok(())
    }
}

/// A value the draft refuses, as a usage error that names the flag and what was given.
fn refused(flag: &str, given: &str, err: DraftError) -> anyhow::Error {
    UsageError::new(format!("{flag} `{given}`: {err}")).into()
}

fn apply_auth(draft: &mut Draft, settings: &ProfileSettings, any_header: bool) -> Result<()> {
    let auth = &settings.auth;
    let profile = draft.profile();
    let kind = match (auth.auth, &profile.auth) {
        (Some(kind), _) => kind,
        (None, Auth::None) if any_header => AuthKind::Headers,
        // An edit of a source that signs in already changes its settings in place.
        (None, Auth::OAuth(_)) => AuthKind::Oauth,
        (None, Auth::ClientCredentials(_)) => AuthKind::ClientCredentials,
        (None, Auth::Enterprise(_)) => AuthKind::Enterprise,
        (None, _) => return refuse_auth_flags_without_kind(settings),
    };
    let scopes = auth.scope.as_ref().map(|s| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>());
    if kind != AuthKind::Enterprise
        && (auth.idp_issuer.is_some() || auth.idp_client_id.is_some() || auth.idp_token_endpoint.is_some())
    {
        return Err(UsageError::new(
            "--idp-issuer, --idp-client-id and --idp-token-endpoint apply to --auth enterprise",
        )
        .into());
    }
    let new_auth = match kind {
        AuthKind::None => Auth::None,
        AuthKind::Headers => Auth::Headers,
        AuthKind::Passthrough => Auth::Passthrough,
        AuthKind::Oauth => {
            let mut oauth = match &profile.auth {
                Auth::OAuth(existing) => existing.clone(),
                _ => OAuthSettings { resource_param: true, ..OAuthSettings::default() },
            };
            if let Some(id) = &auth.client_id {
                oauth.client_id = Some(id.clone());
            }
            if auth.client_key_file.is_some()
                || auth.client_key_alg.is_some()
                || auth.assertion_file.is_some()
            {
                return Err(UsageError::new(
                    "--client-key-file, --client-key-alg and --assertion-file apply to --auth client-credentials",
                )
                .into());
            }
            if auth.token_url.is_some()
                || auth.service_token_header.is_some()
                || auth.service_token_env.is_some()
            {
                return Err(UsageError::new(
                    "--token-url, --service-token-header and --service-token-env apply to --auth client-credentials",
                )
                .into());
            }
            match (&auth.client_secret_env, &auth.client_secret_ref) {
                (Some(_), Some(_)) => {
                    return Err(
                        UsageError::new("give --client-secret-env or --client-secret-ref, not both").into()
                    );
                }
                (Some(var), None) => {
                    let value = env_secret(var, "--client-secret-env")?;
                    oauth.client_secret = Some(draft.secret(SecretRef::client_secret(), value));
                }
                (None, Some(reference)) => {
                    oauth.client_secret = Some(manager_reference(reference, "--client-secret-ref")?);
                }
                (None, None) => {}
            }
            if let Some(issuer) = &auth.client_issuer {
                oauth.client_issuer = Some(issuer.clone());
            }
            if let Some(url) = &auth.client_metadata_url {
                oauth.client_metadata_url = Some(url.clone());
            }
            if scopes.is_some() {
                oauth.scopes = scopes;
            }
            if let Some(port) = auth.redirect_port {
                oauth.redirect_port = Some(port);
            }
            if auth.no_resource_param {
                oauth.resource_param = false;
            }
            if auth.allow_private_network {
                oauth.allow_private_network = true;
            }
            let given = auth.auth_param.iter().map(|pair| split_pair(pair, "--auth-param", "name=value"));
            let given = given.collect::<Result<Vec<_>>>()?;
            let params = auth_params(given).map_err(|e| UsageError::new(format!("--auth-param: {e}")))?;
            oauth.extra_params.extend(params);
            Auth::OAuth(oauth)
        }
        AuthKind::ClientCredentials => {
            let existing = match &draft.profile().auth {
                Auth::ClientCredentials(existing) => Some(existing.clone()),
                _ => None,
            };
            if auth.client_metadata_url.is_some()
                || auth.redirect_port.is_some()
                || auth.no_resource_param
                || !auth.auth_param.is_empty()
            {
                return Err(UsageError::new(
                    "--client-metadata-url, --redirect-port, --no-resource-param and --auth-param apply to --auth oauth (a browser sign-in)",
                )
                .into());
            }
            let client_id = auth
                .client_id
                .clone()
                .or_else(|| existing.as_ref().map(|e| e.client_id.clone()))
                .ok_or_else(|| UsageError::new("--auth client-credentials needs --client-id"))?;
            let mut cc = existing.unwrap_or(ClientCredentialsSettings {
                client_secret: None,
                ..ClientCredentialsSettings::with_client_secret(client_id.clone())
            });
            cc.client_id = client_id;
            apply_client_proof(&mut cc, auth, draft)?;
            if let Some(url) = &auth.token_url {
                cc.token_url = Some(url.clone());
            }
            if let Some(issuer) = &auth.client_issuer {
                cc.client_issuer = Some(issuer.clone());
            }
            if scopes.is_some() {
                cc.scopes = scopes;
            }
            if auth.allow_private_network {
                cc.allow_private_network = true;
            }
            if let Some(header) = &auth.service_token_header {
                cc.service_token_header = Some(header.clone());
            }
            if let Some(var) = &auth.service_token_env {
                let value = env_secret(var, "--service-token-env")?;
                cc.service_token = Some(draft.secret(SecretRef::service_token(), value));
            }
            Auth::ClientCredentials(cc)
        }
        AuthKind::Enterprise => Auth::Enterprise(enterprise_settings(draft, auth, scopes)?),
    };
    draft.profile_mut().auth = new_auth;
    Ok(())
}

/// The settings of `--auth enterprise`: the identity provider (required for a new one) and the
/// client at the MCP server's authorization server, over what the profile had.
fn enterprise_settings(
    draft: &mut Draft,
    auth: &AuthSettings,
    scopes: Option<Vec<String>>,
) -> Result<EnterpriseSettings> {
    if auth.client_key_file.is_some()
        || auth.client_key_alg.is_some()
        || auth.assertion_file.is_some()
        || auth.client_metadata_url.is_some()
        || auth.redirect_port.is_some()
        || auth.no_resource_param
        || !auth.auth_param.is_empty()
        || auth.token_url.is_some()
        || auth.service_token_header.is_some()
        || auth.service_token_env.is_some()
        || auth.client_issuer.is_some()
    {
        return Err(UsageError::new(
            "--auth enterprise takes --idp-issuer, --idp-client-id, --idp-token-endpoint, --client-id, \
             --client-secret-env or --client-secret-ref, --scope and --allow-private-network",
        )
        .into());
    }
    let existing = match &draft.profile().auth {
        Auth::Enterprise(existing) => Some(existing.clone()),
        _ => None,
    };
    let needed = |given: &Option<String>, kept: Option<&String>, flag: &str| {
        given.clone().or_else(|| kept.cloned()).ok_or_else(|| {
            UsageError::new(format!("--auth enterprise needs {flag} (the company's identity provider)"))
        })
    };
    let idp_issuer = needed(&auth.idp_issuer, existing.as_ref().map(|e| &e.idp_issuer), "--idp-issuer")?;
    let idp_client_id =
        needed(&auth.idp_client_id, existing.as_ref().map(|e| &e.idp_client_id), "--idp-client-id")?;
    let mut enterprise = existing.unwrap_or(EnterpriseSettings {
        idp_issuer: idp_issuer.clone(),
        idp_client_id: idp_client_id.clone(),
        idp_token_endpoint: None,
        client_id: None,
        client_secret: None,
        scopes: None,
        allow_private_network: false,
    });
    enterprise.idp_issuer = idp_issuer;
    enterprise.idp_client_id = idp_client_id;
    if let Some(url) = &auth.idp_token_endpoint {
        enterprise.idp_token_endpoint = Some(url.clone());
    }
    if let Some(id) = &auth.client_id {
        enterprise.client_id = Some(id.clone());
    }
    if (auth.client_secret_env.is_some() || auth.client_secret_ref.is_some())
        && enterprise.client_id.is_none()
    {
        return Err(UsageError::new(
            "--client-secret-env and --client-secret-ref go with --client-id (the client at the MCP server's authorization server)",
        )
        .into());
    }
    match (&auth.client_secret_env, &auth.client_secret_ref) {
        (Some(_), Some(_)) => {
            return Err(UsageError::new("give --client-secret-env or --client-secret-ref, not both").into());
        }
        (Some(var), None) => {
            let value = env_secret(var, "--client-secret-env")?;
            enterprise.client_secret = Some(draft.secret(SecretRef::client_secret(), value));
        }
        (None, Some(reference)) => {
            enterprise.client_secret = Some(manager_reference(reference, "--client-secret-ref")?);
        }
        (None, None) => {}
    }
    if scopes.is_some() {
        enterprise.scopes = scopes;
    }
    if auth.allow_private_network {
        enterprise.allow_private_network = true;
    }
    Ok(enterprise)
}

/// The service account's proof: a secret from `--client-secret-env`, a private key from
/// `--client-key-file` or a workload identity token's file from `--assertion-file` (the one
/// given replaces the others), or what the profile had.
fn apply_client_proof(
    cc: &mut ClientCredentialsSettings,
    auth: &AuthSettings,
    draft: &mut Draft,
) -> Result<()> {
    if let Some(path) = &auth.assertion_file {
        if auth.client_key_file.is_some()
            || auth.client_secret_env.is_some()
            || auth.client_secret_ref.is_some()
        {
            return Err(UsageError::new(
                "give one of --client-secret-env, --client-secret-ref, --client-key-file and --assertion-file",
            )
            .into());
        }
        let absolute = std::path::absolute(path)
            .with_context(|| format!("--assertion-file: {} is not a usable path", path.display()))?;
        cc.assertion_file = Some(absolute.display().to_string());
        cc.client_secret = None;
        cc.client_key = None;
        return Ok(());
    }
    match (&auth.client_key_file, &auth.client_secret_env, &auth.client_secret_ref) {
        (Some(path), None, None) => {
            let (pem, alg) = read_client_key(path, auth.client_key_alg)?;
            cc.client_key = Some(ClientKey { secret: draft.secret(SecretRef::client_key(), pem), alg });
            cc.client_secret = None;
            cc.assertion_file = None;
        }
        (None, Some(var), None) => {
            let value = env_secret(var, "--client-secret-env")?;
            cc.client_secret = Some(draft.secret(SecretRef::client_secret(), value));
            cc.client_key = None;
            cc.assertion_file = None;
        }
        (None, None, Some(reference)) => {
            cc.client_secret = Some(manager_reference(reference, "--client-secret-ref")?);
            cc.client_key = None;
            cc.assertion_file = None;
        }
        (None, None, None) => {
            if let Some(alg) = auth.client_key_alg {
                // The stored key is checked against it at the next token request.
                let key = cc.client_key.as_mut().ok_or_else(|| {
                    UsageError::new(
                        "--client-key-alg goes with --client-key-file (this source has no client key)",
                    )
                })?;
                key.alg = alg;
            }
        }
        _ => {
            return Err(UsageError::new(
                "give one of --client-secret-env, --client-secret-ref and --client-key-file",
            )
            .into());
        }
    }
    if cc.client_secret.is_none() && cc.client_key.is_none() && cc.assertion_file.is_none() {
        return Err(UsageError::new(
            "--auth client-credentials needs --client-secret-env VAR, --client-secret-ref REF, --client-key-file key.pem or --assertion-file token.jwt",
        )
        .into());
    }
    Ok(())
}

/// Reads a PEM private key and checks that it signs with `alg` (or finds the algorithm its type
/// implies). The file is read once, here; the profile keeps only the keychain entry.
fn read_client_key(path: &Path, alg: Option<KeyAlg>) -> Result<(Secret, KeyAlg)> {
    const MAX_PEM: u64 = 64 * 1024;
    let flag = "--client-key-file";
    let file = std::fs::File::open(path).with_context(|| format!("{flag}: open {}", path.display()))?;
    let mut bytes = zeroize::Zeroizing::new(Vec::new());
    file.take(MAX_PEM + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("{flag}: read {}", path.display()))?;
    if bytes.len() as u64 > MAX_PEM {
        return Err(UsageError::new(format!("{flag} {}: larger than a PEM key", path.display())).into());
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| UsageError::new(format!("{flag} {}: not a PEM file (not text)", path.display())))?;
    let pem = Secret::new(text.to_owned());
    let alg = lanyard::oauth::check_key(&pem, alg)
        .map_err(|problem| UsageError::new(format!("{flag} {}: {problem}", path.display())))?;
    Ok((pem, alg))
}

fn refuse_auth_flags_without_kind(settings: &ProfileSettings) -> Result<()> {
    let auth = &settings.auth;
    let given = auth.client_id.is_some()
        || auth.client_secret_env.is_some()
        || auth.client_secret_ref.is_some()
        || auth.client_key_file.is_some()
        || auth.client_key_alg.is_some()
        || auth.assertion_file.is_some()
        || auth.client_metadata_url.is_some()
        || auth.client_issuer.is_some()
        || auth.scope.is_some()
        || auth.redirect_port.is_some()
        || auth.no_resource_param
        || auth.allow_private_network
        || !auth.auth_param.is_empty()
        || auth.token_url.is_some()
        || auth.service_token_header.is_some()
        || auth.service_token_env.is_some()
        || auth.idp_issuer.is_some()
        || auth.idp_client_id.is_some()
        || auth.idp_token_endpoint.is_some();
    if given {
        return Err(UsageError::new(
            "OAuth flags need --auth oauth, --auth client-credentials or --auth enterprise",
        )
        .into());
    }
    Ok(())
}

/// Refuses a literal value for a header or variable whose name says it holds a credential:
/// it would be written in clear to the profile file.
fn refuse_plain_credential(name: &str, value: &str, secret_flag: &str) -> Result<()> {
    let lower = name.to_ascii_lowercase();
    let looks_secret =
        ["authorization", "cookie", "token", "secret", "password", "api-key", "api_key", "apikey"]
            .iter()
            .any(|word| lower.contains(word));
    if looks_secret && !value.is_empty() && !value.contains("${") {
        return Err(UsageError::new(format!(
            "`{name}` looks like a credential; a plain value would be saved in clear. Use {secret_flag} {name} \
             (kept in the keychain) or a `${{VAR}}` reference expanded at connect time"
        ))
        .into());
    }
    Ok(())
}

fn split_pair(pair: &str, flag: &str, shape: &str) -> Result<(String, String)> {
    pair.split_once('=')
        .filter(|(key, _)| !key.is_empty())
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .ok_or_else(|| UsageError::new(format!("{flag} `{pair}`: expected `{shape}`")).into())
}

fn from_env(pair: &str, flag: &str) -> Result<(String, Secret)> {
    let (name, var) = split_pair(pair, flag, "NAME=VAR")?;
    Ok((name, env_secret(&var, flag)?))
}

/// A reference to a password manager as given to `flag`, checked now so that a typo is caught
/// before it is saved; the value itself is read only when a connection needs it.
fn manager_reference(given: &str, flag: &str) -> Result<SecretRef> {
    match ExternalRef::parse(given) {
        Some(Ok(_)) => Ok(SecretRef(given.to_owned())),
        Some(Err(err)) => Err(UsageError::new(format!("{flag}: {err}")).into()),
        None => Err(UsageError::new(format!(
            "{flag} `{given}`: not a password manager reference; use op://vault/item/field, bw://item[/field], pass://path or keychain://service/account"
        ))
        .into()),
    }
}

fn env_secret(var: &str, flag: &str) -> Result<Secret> {
    match std::env::var(var) {
        Ok(value) if !value.is_empty() => Ok(Secret::new(value)),
        _ => Err(UsageError::new(format!("{flag}: environment variable `{var}` is not set or empty")).into()),
    }
}

/// Reads secret values: one line of stdin each, or a prompt without echo on a terminal.
pub(super) struct SecretInput {
    interactive: bool,
}

impl SecretInput {
    pub(super) fn new() -> Self {
        Self { interactive: std::io::stdin().is_terminal() }
    }

    pub(super) fn read(&mut self, label: &str) -> Result<Secret> {
        let value = if self.interactive {
            rpassword::prompt_password(format!("{label}: "))
                .context("reading the secret from the terminal")?
        } else {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).context("reading the secret from stdin")?;
            line.trim_end_matches(['\n', '\r']).to_owned()
        };
        if value.is_empty() {
            return Err(UsageError::new(format!("{label}: no value given on stdin")).into());
        }
        Ok(Secret::new(value))
    }
}
