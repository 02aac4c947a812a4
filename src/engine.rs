//! The engine's front door: the operations a CLI command, a bridge or an app button performs,
//! each keeping the profile file and the vault consistent with each other.
//!
//! The order of writes is chosen so that a failure half-way never leaves a profile pointing at a
//! secret that is not there, nor a profile's secrets behind after the profile is gone:
//! adding writes secrets first and the profile last; removing drops the profile first and its
//! secrets after.

use std::sync::Arc;

use crate::credentials::SourceCredentials;
use crate::error::Error;
use crate::filter::ToolChoice;
use crate::history::{Event, History, TokenActivity};
use crate::ids::{SecretRef, SourceId};
use crate::oauth::binding::Binding;
use crate::oauth::waiting::WaitingSignIns;
use crate::oauth::{
    self, Credentials, Disconnected, Identity, IdentitySession, OAuthError, SignInOptions, StoredTokens,
};
use crate::paths::Dirs;
use crate::profile::{Auth, Resolved, ResolvedTransport};
use crate::profile::{
    FieldProblem, Form, FormField, ImportReport, Profile, ProfileError, ProfileFile, ProfileStore,
    RemovedSource, SecretSource, Skipped, id_taken, import_file, resolve, resolve_with,
};
use crate::secret::Secret;
use crate::source::{
    IdentityStatus, SourceState, SourceStatus, TokenStatus, refresh_failure, uses_sign_in, uses_tokens,
};
use crate::upstream::{Offers, ToolListing, Upstream, UpstreamError};
use crate::vault::{InstallFile, Vault, VaultKey};

mod agents;
mod clients;

pub use agents::{AgentSummary, AgentVia};

pub use clients::TakenOver;

/// What [`Engine::import_config`] did; the desktop window shows it as it is (`ImportView`).
#[derive(Debug, Clone, Default, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "ImportView", export_to = crate::TS_DIR))]
pub struct ImportOutcome {
    /// The sources created, in file order.
    #[cfg_attr(feature = "ts", ts(as = "Vec<String>"))]
    pub added: Vec<SourceId>,
    /// Entries not imported, with the reason.
    pub skipped: Vec<Skipped>,
    /// Of `added`, the stdio servers stored disabled until the person approves what they run.
    #[cfg_attr(feature = "ts", ts(as = "Vec<String>"))]
    pub waiting_for_approval: Vec<SourceId>,
    /// What waiting for approval means, in the engine's words ([`ImportOutcome::waiting_said`]);
    /// none when no source waits. Each front end adds how to approve (a command, a button).
    pub waiting_said: Option<String>,
}

impl ImportOutcome {
    /// The sentence every front end shows for the imported sources in `waiting` (written once
    /// here); `None` when there are none.
    pub fn waiting_said(waiting: &[SourceId]) -> Option<String> {
        (!waiting.is_empty()).then(|| {
            let ids: Vec<&str> = waiting.iter().map(SourceId::as_str).collect();
            format!(
                "Waiting for your approval: {}. These run programs on this computer; nothing runs until you check each command and approve it.",
                ids.join(", ")
            )
        })
    }
}

/// Profiles, the vault and Lanyard's folders, together.
pub struct Engine {
    profiles: ProfileStore,
    /// Shared with the credential components of open sessions, which outlive a call.
    vault: Arc<Vault>,
    /// Every folder the engine and its parts write to; no part works one out on its own.
    dirs: Dirs,
    history: History,
    /// The sign-ins [`Engine::cancel_sign_in`] can stop.
    waiting: WaitingSignIns,
    /// Which agent called what (see [`crate::agents::calls`]).
    calls: crate::agents::CallLog,
}

impl Engine {
    /// [`Engine::open_in`] the folders the environment chooses ([`Dirs::from_env`]).
    pub fn open() -> Result<Self, Error> {
        Self::open_in(Dirs::from_env())
    }

    /// The engine on the profile file in `dirs`' config folder and the keychain chosen by
    /// `LANYARD_KEYCHAIN`, in that file's install namespace (see [`crate::vault`]).
    pub fn open_in(dirs: Dirs) -> Result<Self, Error> {
        let profiles = ProfileStore::in_folder(dirs.config());
        let vault = Vault::from_env()?.in_install(InstallFile::beside(profiles.path()));
        Ok(Self::assemble(profiles, vault, dirs))
    }

    /// The engine on the profile file in `dirs`' config folder and `vault` as it is.
    pub fn new(dirs: Dirs, vault: Vault) -> Self {
        Self::assemble(ProfileStore::in_folder(dirs.config()), vault, dirs)
    }

    fn assemble(profiles: ProfileStore, vault: Vault, dirs: Dirs) -> Self {
        let history = History::in_dirs(&dirs);
        let calls = crate::agents::CallLog::in_dir(dirs.data());
        Self { profiles, vault: Arc::new(vault), history, dirs, waiting: WaitingSignIns::default(), calls }
    }

    pub fn dirs(&self) -> &Dirs {
        &self.dirs
    }

    /// What happened to each source (`lanyard logs`, the app's activity list).
    pub fn history(&self) -> &History {
        &self.history
    }

    pub fn profile_store(&self) -> &ProfileStore {
        &self.profiles
    }

    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// The vault, for a component that outlives the call that made it.
    pub fn shared_vault(&self) -> Arc<Vault> {
        Arc::clone(&self.vault)
    }

    pub fn load(&self) -> Result<ProfileFile, Error> {
        Ok(self.profiles.load()?)
    }

    pub fn profile(&self, id: &SourceId) -> Result<Profile, Error> {
        let file = self.load()?;
        Ok(file.require(id)?.clone())
    }

    /// The add or edit form's problems field by field ([`Form::problems`]), with the one only the
    /// saved sources tell: adding, an id a source has already, which saving refuses too. Editing,
    /// the form is checked as an edit of the saved source.
    pub fn form_problems(&self, form: &Form, editing: bool) -> Result<Vec<FieldProblem>, Error> {
        let file = self.load()?;
        let id = form.id.trim().parse::<SourceId>().ok();
        if editing && let Some(id) = &id {
            return Ok(form.problems(Some(file.require(id)?)));
        }
        let mut problems = form.problems(None);
        if let Some(id) = id.filter(|id| !editing && file.get(id).is_some()) {
            let message = format!("{}; pick another id", id_taken(&id));
            problems.insert(0, FieldProblem { field: FormField::Id, message });
        }
        Ok(problems)
    }

    /// Adds a profile and stores its secrets. Nothing is written when the id is taken.
    pub async fn add_profile(
        &self,
        profile: Profile,
        secrets: Vec<(SecretRef, Secret)>,
    ) -> Result<(), Error> {
        let id = profile.id().clone();
        if self.load()?.get(&id).is_some() {
            return Err(ProfileError::AlreadyExists { id }.into());
        }
        self.store_secrets(&id, &secrets).await?;
        if let Err(err) = self.profiles.update(|file| file.insert(profile)) {
            self.forget_secrets(&id, secrets.iter().map(|(reference, _)| reference)).await;
            return Err(err.into());
        }
        // A new source starts over: its first listing is trusted on first use (or reviewed).
        self.pin_store().forget(&id).map_err(crate::pins::PinError::from)?;
        Ok(())
    }

    /// Changes a profile and stores any new secrets, counting them in the profile's
    /// `secrets_revision`. Secrets the profile no longer refers to are removed from the vault
    /// afterwards.
    pub async fn edit_profile(
        &self,
        id: &SourceId,
        secrets: Vec<(SecretRef, Secret)>,
        change: impl FnOnce(&mut Profile),
    ) -> Result<Profile, Error> {
        let before = self.profile(id)?;
        self.store_secrets(id, &secrets).await?;
        let after = self.profiles.update(|file| {
            let mut profile = file.require(id)?.clone();
            change(&mut profile);
            // Enabling is the approval a source from outside waits for.
            profile.waiting_for_approval &= !profile.enabled;
            if !secrets.is_empty() {
                // The file's only sign of a new secret value: a running hub sees the profile
                // change and resolves the source again.
                profile.secrets_revision = profile.secrets_revision.wrapping_add(1);
            }
            file.replace(profile.clone())?;
            Ok(profile)
        })?;
        let still_used = after.secret_refs();
        let dropped =
            before.secret_refs().into_iter().filter(|r| !still_used.contains(r)).cloned().collect::<Vec<_>>();
        self.forget_secrets(id, dropped.iter()).await;
        if token_binding(&before) != token_binding(&after) {
            self.sign_out_outdated(&before).await;
        }
        if !before.enabled && after.enabled {
            // Enabling is the person's trust: the next listing is pinned anew (or reviewed).
            self.pin_store().forget(id).map_err(crate::pins::PinError::from)?;
        }
        Ok(after)
    }

    /// Ends the sign-in of `before`, a profile just replaced by one whose tokens would be bound
    /// elsewhere (another URL, auth kind, client or scopes): its tokens are revoked where its
    /// server offers it, and removed. A failure is logged; the tokens could not be used anyway,
    /// because their binding no longer matches.
    async fn sign_out_outdated(&self, before: &Profile) {
        let http = match oauth::http_client_for(before) {
            Ok(http) => http,
            Err(err) => {
                tracing::warn!(source = %before.id(), %err, "cannot revoke the old sign-in's tokens");
                return;
            }
        };
        match oauth::disconnect(&http, &self.vault, before).await {
            Ok(Disconnected::NothingStored) => {}
            Ok(outcome) => {
                tracing::info!(source = %before.id(), ?outcome, "the sign-in settings changed; the old tokens are gone");
                let revoked = matches!(outcome, Disconnected::Revoked);
                self.history.record(before.id(), Event::Disconnected { revoked });
            }
            Err(err) => tracing::warn!(source = %before.id(), %err, "could not end the old sign-in"),
        }
    }

    /// Which of a profile's secret references the vault holds a value for: an edit form says
    /// "set" or "not set" for each, and never reads the value out.
    pub async fn stored_secrets(&self, profile: &Profile) -> Result<Vec<SecretRef>, Error> {
        let mut stored = Vec::new();
        for reference in profile.secret_refs() {
            // A password manager's value is read only when a connection needs it.
            if reference.is_external()
                || self.vault.get(&VaultKey::source_secret(profile.id(), reference)).await?.is_some()
            {
                stored.push(reference.clone());
            }
        }
        Ok(stored)
    }

    /// Removes a profile, and in the same write every agent's mention of it; then its secrets
    /// and tokens. Says what it removed (see [`RemovedSource::said`]).
    pub async fn remove_profile(&self, id: &SourceId) -> Result<RemovedSource, Error> {
        let removed = self.profiles.update(|file| file.remove(id))?;
        let profile = &removed.profile;
        for reference in profile.secret_refs().into_iter().filter(|r| !r.is_external()) {
            self.vault.delete(&VaultKey::source_secret(id, reference)).await?;
        }
        self.vault.delete(&VaultKey::source_tokens(id)).await?;
        self.history.forget(id);
        self.pin_store().forget(id).map_err(crate::pins::PinError::from)?;
        Ok(removed)
    }

    /// Connects to a saved source.
    pub async fn connect(&self, id: &SourceId) -> Result<Upstream, Error> {
        let profile = self.profile(id)?;
        if !profile.enabled {
            return Err(Error::not_enabled(&profile));
        }
        self.connect_profile(&profile).await
    }

    /// [`Engine::connect`], declaring what `offers` says in the handshake: the merged server
    /// offers its agents' sampling, elicitation and roots.
    pub async fn connect_offering(&self, id: &SourceId, offers: Offers) -> Result<Upstream, Error> {
        self.connect_profile_offering(&self.profile(id)?, offers).await
    }

    /// [`Engine::connect_offering`] with a profile the caller already holds (a hub serving the
    /// last profile file that read cleanly, while the file on disk may be broken).
    pub async fn connect_profile_offering(
        &self,
        profile: &Profile,
        offers: Offers,
    ) -> Result<Upstream, Error> {
        if !profile.enabled {
            return Err(Error::not_enabled(profile));
        }
        let connected = self.connect_profile_once(profile, offers).await;
        let event = match &connected {
            Ok(upstream) => Event::Connected { protocol: upstream.protocol().map(str::to_owned) },
            Err(err) => {
                Event::ConnectFailed { error: err.to_string(), problem: err.advice().map(|a| a.problem) }
            }
        };
        self.history.record(profile.id(), event);
        connected
    }

    /// A saved, enabled source made ready to connect (variables expanded, secrets read), without
    /// connecting and without a bearer token: what the bridge needs to pass messages through. The
    /// bridge asks [`Engine::credentials`] for a token per request instead, so that a long session
    /// outlives its tokens.
    pub async fn resolve_source(&self, id: &SourceId) -> Result<(Profile, Resolved), Error> {
        let profile = self.profile(id)?;
        let resolved = self.resolve_profile(&profile).await?;
        Ok((profile, resolved))
    }

    /// [`Engine::resolve_source`] with a profile the caller already holds.
    pub async fn resolve_profile(&self, profile: &Profile) -> Result<Resolved, Error> {
        if !profile.enabled {
            return Err(Error::not_enabled(profile));
        }
        self.resolve_for_requests(profile).await
    }

    /// `profile` resolved with every fixed header its requests carry: its own, and a service
    /// account's extra token, read from the vault once here for the whole session.
    async fn resolve_for_requests(&self, profile: &Profile) -> Result<Resolved, Error> {
        let mut resolved = resolve(profile, &self.vault).await?;
        if let Some((name, token)) = self.service_token_header(profile).await?
            && let ResolvedTransport::Http { headers, .. } | ResolvedTransport::Sse { headers, .. } =
                &mut resolved.transport
        {
            set_header(headers, &name, token);
        }
        Ok(resolved)
    }

    /// Connects to a saved profile's settings.
    /// For a source with OAuth or client credentials, a fresh bearer token goes along; when the
    /// server refuses it (401), the token is renewed once and the connection tried again.
    pub async fn connect_profile(&self, profile: &Profile) -> Result<Upstream, Error> {
        let connected = self.connect_profile_once(profile, Offers::Nothing).await;
        let event = match &connected {
            Ok(upstream) => Event::Connected { protocol: upstream.protocol().map(str::to_owned) },
            Err(err) => {
                Event::ConnectFailed { error: err.to_string(), problem: err.advice().map(|a| a.problem) }
            }
        };
        self.history.record(profile.id(), event);
        connected
    }

    async fn connect_profile_once(&self, profile: &Profile, offers: Offers) -> Result<Upstream, Error> {
        let resolved = self.resolve_for_requests(profile).await?;
        let authorizer = self.source_credentials(profile, &resolved)?.authorizer();
        match Upstream::connect_authorized(resolved, &self.dirs.logs(), offers, authorizer).await {
            Ok(upstream) => Ok(upstream),
            Err(err) => Err(self.refusal(profile, err).await),
        }
    }

    /// Calls a tool of a saved source on a fresh connection (the CLI's `lanyard call`), declaring
    /// what `offers` says (the CLI and the app offer their person's answers to elicitation). A
    /// `403 insufficient_scope` becomes [`OAuthError::NeedsMoreScope`], see [`Engine::refusal`].
    pub async fn call_tool(
        &self,
        id: &SourceId,
        name: &str,
        arguments: Option<serde_json::Map<String, serde_json::Value>>,
        offers: Offers,
    ) -> Result<rmcp::model::CallToolResult, Error> {
        let upstream = self.connect_offering(id, offers).await?;
        let called = upstream.call_tool(name, arguments).await;
        upstream.close().await;
        match called {
            Ok(result) => Ok(result),
            Err(err) => Err(self.refusal(&self.profile(id)?, err).await),
        }
    }

    /// What an upstream error means for a source: see [`crate::credentials::refusal`].
    pub async fn refusal(&self, profile: &Profile, err: UpstreamError) -> Error {
        crate::credentials::refusal(&self.credentials(), profile, err).await
    }

    /// The token manager for this engine's vault and folders: fresh bearer tokens for OAuth
    /// sources.
    pub fn credentials(&self) -> Credentials<'_> {
        Credentials::new(&self.vault, &self.dirs)
    }

    /// The credentials of a source's requests (see [`SourceCredentials::new`]), for a component
    /// that outlives the call that made it (a bridge session).
    pub fn source_credentials(
        &self,
        profile: &Profile,
        resolved: &Resolved,
    ) -> Result<SourceCredentials, Error> {
        SourceCredentials::new(self.shared_vault(), &self.dirs, profile, resolved)
    }

    /// The extra service token a client-credentials profile sends in a header of its own, read
    /// from the vault; `None` for every other profile.
    pub async fn service_token_header(&self, profile: &Profile) -> Result<Option<(String, Secret)>, Error> {
        let Auth::ClientCredentials(cc) = &profile.auth else { return Ok(None) };
        let (Some(name), Some(reference)) = (&cc.service_token_header, &cc.service_token) else {
            return Ok(None);
        };
        let token = self.vault.source_secret(profile.id(), reference).await?.ok_or_else(|| {
            OAuthError::MissingClientSecret { id: profile.id().clone(), reference: reference.clone() }
        })?;
        Ok(Some((name.clone(), token)))
    }

    /// Signs a source in: the browser flow for OAuth (only on the person's request), a new
    /// token for client credentials. Replaces any tokens it had.
    pub async fn sign_in(&self, id: &SourceId, options: SignInOptions) -> Result<StoredTokens, Error> {
        self.sign_in_by(id, Identity::SignIn(options)).await
    }

    /// Connects an enterprise source with an ID token another tool obtained (`lanyard connect
    /// --id-token-env`): it becomes the identity session, with no sign-in at the identity
    /// provider, and the source gets its tokens from it.
    pub async fn sign_in_with_id_token(
        &self,
        id: &SourceId,
        id_token: Secret,
    ) -> Result<StoredTokens, Error> {
        self.sign_in_by(id, Identity::Given(id_token)).await
    }

    async fn sign_in_by(&self, id: &SourceId, identity: Identity) -> Result<StoredTokens, Error> {
        let profile = self.profile(id)?;
        if !profile.enabled {
            return Err(Error::not_enabled(&profile));
        }
        let resolved = resolve(&profile, &self.vault).await?;
        let url = match &resolved.transport {
            ResolvedTransport::Http { url, .. } | ResolvedTransport::Sse { url, .. } => url.clone(),
            ResolvedTransport::Stdio { .. } => return Err(OAuthError::NotHttp { id: id.clone() }.into()),
        };
        let http = oauth::http_client_trusting(resolved.ca_bundle.as_ref())?;
        // `lanyard status` in another process shows the URL while this flow waits for it.
        let identity = match identity {
            Identity::SignIn(options) => {
                Identity::SignIn(oauth::pending::recording(options, self.dirs.sign_ins(), id))
            }
            given => given,
        };
        let locks = self.dirs.locks();
        let signed_in = match (&profile.auth, identity) {
            (Auth::Enterprise(settings), identity) => {
                oauth::enterprise_connect(&http, &self.vault, &locks, id, &url, settings, identity).await
            }
            (Auth::OAuth(settings), Identity::SignIn(options)) => {
                oauth::sign_in(&http, &self.vault, id, &url, settings, options).await
            }
            (Auth::ClientCredentials(settings), Identity::SignIn(_)) => {
                oauth::client_credentials(&http, &self.vault, id, &url, settings, None).await
            }
            (other, _) => return Err(OAuthError::NotOAuth { id: id.clone(), auth: other.kind_name() }.into()),
        };
        oauth::activity::note_sign_in(&self.history, id, signed_in.as_ref().map(drop));
        Ok(signed_in?)
    }

    /// Signs out of the identity provider `issuer` (enterprise-managed authorization): every
    /// identity session there ends, and every source that got its tokens from one is
    /// disconnected (its tokens revoked where the server offers it, and forgotten). The sources
    /// need sign-in again.
    pub async fn sign_out_identity(&self, issuer: &str) -> Result<IdentitySignOut, Error> {
        let file = self.load()?;
        let same = |a: &str, b: &str| a.trim_end_matches('/') == b.trim_end_matches('/');
        let mut out = IdentitySignOut::default();
        for profile in file.profiles() {
            let Auth::Enterprise(settings) = &profile.auth else { continue };
            if !same(&settings.idp_issuer, issuer) {
                continue;
            }
            out.matched = true;
            let http = oauth::http_client_for(profile).or_else(|_| oauth::http_client())?;
            if oauth::end_identity_session(&http, &self.vault, profile.id(), settings).await? {
                out.sessions_ended += 1;
            }
            if !matches!(self.disconnect(profile.id()).await?, Disconnected::NothingStored) {
                out.sources_disconnected.push(profile.id().clone());
            }
        }
        Ok(out)
    }

    /// [`Engine::sign_in`], which [`Engine::cancel_sign_in`] can stop while it waits for the
    /// person: `Ok(None)` when it was cancelled. For a front end with a *Cancel* button.
    pub async fn sign_in_cancellable(
        &self,
        id: &SourceId,
        options: SignInOptions,
    ) -> Result<Option<StoredTokens>, Error> {
        let mut waiting = self.waiting.begin(id);
        tokio::select! {
            signed_in = self.sign_in(id, options) => signed_in.map(Some),
            () = waiting.cancelled() => Ok(None),
        }
    }

    /// Stops the cancellable sign-in of `id` that waits for the browser (or for the server's
    /// answer); false when none runs. Nothing is stored and its loopback listener closes.
    pub fn cancel_sign_in(&self, id: &SourceId) -> bool {
        self.waiting.cancel(id)
    }

    /// Forgets a source's tokens, revoking them first where the server offers it.
    pub async fn disconnect(&self, id: &SourceId) -> Result<Disconnected, Error> {
        let profile = self.profile(id)?;
        // A broken `ca_bundle` must not keep tokens on this machine: they are forgotten anyway,
        // and a revocation that fails without the bundle is reported as such.
        let http = match oauth::http_client_for(&profile) {
            Ok(http) => http,
            Err(err) => {
                tracing::warn!(source = %id, %err, "revoking without the source's CA bundle");
                oauth::http_client()?
            }
        };
        let outcome = oauth::disconnect(&http, &self.vault, &profile).await?;
        if !matches!(outcome, Disconnected::NothingStored) {
            self.history
                .record(id, Event::Disconnected { revoked: matches!(outcome, Disconnected::Revoked) });
        }
        Ok(outcome)
    }

    /// Connects to a profile that is not saved, with its secrets in memory: the CLI's one-off
    /// `--url` mode, which keeps nothing. An OAuth profile signs in first with `sign_in` (the
    /// person ran the command, so a browser may open); its registration and tokens live in an
    /// in-memory vault that is gone when this returns, never in the keychain. The handshake
    /// declares what `offers` says.
    pub async fn connect_unsaved(
        &self,
        profile: &Profile,
        secrets: &[(SecretRef, Secret)],
        sign_in: Option<SignInOptions>,
        offers: Offers,
    ) -> Result<Upstream, Error> {
        let lookup = |name: &str| std::env::var(name).ok();
        let mut resolved =
            resolve_with(profile, &SecretSource::Memory { values: secrets, vault: &self.vault }, lookup)
                .await?;
        let url = match &resolved.transport {
            ResolvedTransport::Http { url, .. } | ResolvedTransport::Sse { url, .. } => Some(url.clone()),
            ResolvedTransport::Stdio { .. } => None,
        };
        let id = profile.id();
        // The command's own secrets (a pre-registered client's, a service account's) are where
        // a sign-in looks for them, in a vault that is gone when this returns.
        let memory = Vault::mock();
        for (reference, value) in secrets {
            memory.set(&VaultKey::source_secret(id, reference), value).await?;
        }
        let http = || oauth::http_client_trusting(resolved.ca_bundle.as_ref());
        let tokens = match (&profile.auth, sign_in, &url) {
            (Auth::OAuth(_) | Auth::ClientCredentials(_), _, None) => {
                return Err(OAuthError::NotHttp { id: id.clone() }.into());
            }
            (Auth::OAuth(settings), Some(options), Some(url)) => {
                Some(oauth::sign_in(&http()?, &memory, id, url, settings, options).await?)
            }
            (Auth::ClientCredentials(settings), _, Some(url)) => {
                Some(oauth::client_credentials(&http()?, &memory, id, url, settings, None).await?)
            }
            _ => None,
        };
        if let (
            Some(tokens),
            ResolvedTransport::Http { headers, .. } | ResolvedTransport::Sse { headers, .. },
        ) = (tokens, &mut resolved.transport)
        {
            let bearer = Secret::new(format!("Bearer {}", tokens.access_token.expose()));
            set_header(headers, "Authorization", bearer);
        }
        Ok(Upstream::connect_authorized(resolved, &self.dirs.logs(), offers, None).await?)
    }

    /// Lists a saved source's tools the way an agent sees them (filters applied): connect,
    /// `tools/list`, close. The app's *Test* button; nothing is kept running.
    /// A `403 insufficient_scope` becomes [`OAuthError::NeedsMoreScope`], as for a call.
    pub async fn list_tools(&self, id: &SourceId) -> Result<Vec<rmcp::model::Tool>, Error> {
        let upstream = self.connect(id).await?;
        let listed = upstream.list_tools().await;
        upstream.close().await;
        match listed {
            Ok(tools) => Ok(tools),
            Err(err) => Err(self.refusal(&self.profile(id)?, err).await),
        }
    }

    /// [`Engine::list_tools`], with the source's tool filter entries that name no tool the server
    /// offers (the CLI warns about them), declaring what `offers` says in the handshake: the CLI
    /// declares what `lanyard call` does, so the server lists the tools it would call.
    pub async fn list_tools_checked(&self, id: &SourceId, offers: Offers) -> Result<ToolListing, Error> {
        let upstream = self.connect_offering(id, offers).await?;
        let listed = upstream.list_tools_checked().await;
        upstream.close().await;
        match listed {
            Ok(listing) => Ok(listing),
            Err(err) => Err(self.refusal(&self.profile(id)?, err).await),
        }
    }

    /// A saved source's tools as the server lists them, before its filter, with what the filter
    /// says about each: the app's tool editor. Connects the way an agent's request does
    /// (credentials, renewal on 401), lists, closes.
    pub async fn tool_choices(&self, id: &SourceId) -> Result<Vec<(rmcp::model::Tool, ToolChoice)>, Error> {
        let mut profile = self.profile(id)?;
        if !profile.enabled {
            return Err(Error::not_enabled(&profile));
        }
        let filter = std::mem::take(&mut profile.tools);
        let upstream = self.connect_profile(&profile).await?;
        let listed = upstream.list_tools().await;
        upstream.close().await;
        let listed = match listed {
            Ok(tools) => tools,
            Err(err) => return Err(self.refusal(&profile, err).await),
        };
        Ok(listed
            .into_iter()
            .map(|tool| {
                let choice = filter.choice(&tool.name);
                (tool, choice)
            })
            .collect())
    }

    /// Saves a source's tool filter with `choices` applied (see [`ToolFilter::with_choices`](crate::profile::ToolFilter::with_choices));
    /// the profile is validated (aliases clients accept, no alias twice) before it is written.
    pub async fn set_tool_choices(&self, id: &SourceId, choices: &[ToolChoice]) -> Result<Profile, Error> {
        self.edit_profile(id, Vec::new(), |profile| profile.tools = profile.tools.with_choices(choices)).await
    }

    /// Every source's pinned tool definitions (see [`crate::pins`]).
    pub fn pin_store(&self) -> crate::pins::PinStore {
        crate::pins::PinStore::new(self.dirs.pins())
    }

    /// `profile`'s pins, as a bridge checks its listings against them.
    pub fn source_pins(&self, profile: &Profile) -> Arc<crate::pins::SourcePins> {
        Arc::new(crate::pins::SourcePins::new(self.pin_store(), profile))
    }

    /// The tools of source `id` withheld from agents (new, changed or renamed since they were
    /// approved, or rejected), each with its difference and suspicious text.
    pub fn tool_changes(&self, id: &SourceId) -> Result<Vec<crate::pins::PendingTool>, Error> {
        self.profile(id)?;
        let ledger = self.pin_store().load(id).map_err(crate::pins::PinError::from)?;
        Ok(ledger.as_ref().map(crate::pins::pending).unwrap_or_default())
    }

    /// Approves the withheld tools of source `id` named in `names` (every one with `None`):
    /// their definitions are pinned, and agents get them at their next listing. Returns the names
    /// approved; a name that is not withheld is an error, and then nothing is approved.
    pub fn approve_tool_changes(
        &self,
        id: &SourceId,
        names: Option<&[String]>,
    ) -> Result<Vec<String>, Error> {
        self.profile(id)?;
        let approved = self.pin_store().update(id, |ledger| {
            let Some(mut next) = ledger.cloned() else { return (None, Ok(Vec::new())) };
            if let Some(missing) = names.into_iter().flatten().find(|name| !next.withheld.contains_key(*name))
            {
                let waiting = next.withheld.keys().cloned().collect();
                let err =
                    crate::pins::PinError::NotWithheld { id: id.clone(), name: missing.clone(), waiting };
                return (Some(next), Err(err));
            }
            let approved = next.approve(names);
            (Some(next), Ok(approved))
        });
        Ok(approved.map_err(crate::pins::PinError::from)??)
    }

    /// Rejects the withheld tool `name` of source `id`: it stays withheld until the server
    /// offers another definition of it, or the person approves it.
    pub fn reject_tool_change(&self, id: &SourceId, name: &str) -> Result<(), Error> {
        self.profile(id)?;
        let rejected = self.pin_store().update(id, |ledger| {
            let mut next = ledger.cloned().unwrap_or_default();
            if next.reject(name) {
                return (Some(next), Ok(()));
            }
            let waiting = next.withheld.keys().cloned().collect();
            let err = crate::pins::PinError::NotWithheld { id: id.clone(), name: name.to_owned(), waiting };
            (ledger.cloned(), Err(err))
        });
        Ok(rejected.map_err(crate::pins::PinError::from)??)
    }

    /// The person's `verdict` on the withheld tool `name` of source `id`, or on every withheld
    /// tool with `None` (the app's Review: Approve and Reject per tool, Approve for all).
    pub fn review_tool_change(
        &self,
        id: &SourceId,
        name: Option<&str>,
        verdict: crate::pins::Verdict,
    ) -> Result<(), Error> {
        let names = name.map(|name| vec![name.to_owned()]);
        match (verdict, names) {
            (crate::pins::Verdict::Approve, names) => {
                self.approve_tool_changes(id, names.as_deref()).map(drop)
            }
            (crate::pins::Verdict::Reject, Some(names)) => self.reject_tool_change(id, &names[0]),
            (crate::pins::Verdict::Reject, None) => {
                self.tool_changes(id)?.iter().try_for_each(|tool| self.reject_tool_change(id, &tool.name))
            }
        }
    }

    /// Imports every server of an MCP client config file (Claude Desktop, Cursor, VS Code) whose
    /// id is free, secrets into the vault. A clash with an existing source is reported as
    /// skipped, never overwritten.
    pub async fn import_config(&self, path: &std::path::Path) -> Result<ImportOutcome, Error> {
        self.add_imported(import_file(path)?).await
    }

    /// Adds each profile of an import whose id is free; a clash is reported as skipped.
    async fn add_imported(&self, report: ImportReport) -> Result<ImportOutcome, Error> {
        let mut outcome = ImportOutcome { skipped: report.skipped, ..ImportOutcome::default() };
        for entry in report.profiles {
            let id = entry.profile.id().clone();
            let name = entry.profile.display_name().to_owned();
            let waits = entry.profile.waits_for_approval();
            match self.add_profile(entry.profile, entry.secrets).await {
                Ok(()) => {
                    if waits {
                        outcome.waiting_for_approval.push(id.clone());
                    }
                    outcome.added.push(id);
                }
                Err(Error::Profile(ProfileError::AlreadyExists { .. })) => {
                    outcome.skipped.push(Skipped::clash(name, &id))
                }
                Err(err) => return Err(err),
            }
        }
        outcome.waiting_said = ImportOutcome::waiting_said(&outcome.waiting_for_approval);
        Ok(outcome)
    }

    /// The state of every source, or of one.
    pub async fn status(&self, only: Option<&SourceId>) -> Result<Vec<SourceStatus>, Error> {
        let file = self.load()?;
        if let Some(id) = only {
            file.require(id)?;
        }
        let mut rows = Vec::new();
        for profile in file.profiles().filter(|p| only.is_none_or(|id| p.id() == id)) {
            let activity = if uses_tokens(profile) {
                self.history.tokens(profile.id())
            } else {
                TokenActivity::default()
            };
            let state = self.state_of(profile, &activity).await?;
            let mut row = SourceStatus::new(profile, state);
            row.activity = activity;
            if uses_sign_in(profile) {
                row.pending_sign_in = oauth::pending::load(&self.dirs.sign_ins(), profile.id());
            }
            row.protocol = self.history.last_protocol(profile.id());
            if let Auth::Enterprise(settings) = &profile.auth {
                let session = IdentitySession::load(&self.vault, profile.id(), settings).await?;
                row.identity = Some(IdentityStatus::of(settings, session.as_ref()));
            }
            row.sandbox = crate::sandbox::status_of(profile, &self.dirs.logs());
            row.tool_changes = match self.pin_store().load(profile.id()) {
                Ok(ledger) => ledger.as_ref().map(crate::pins::pending).unwrap_or_default(),
                Err(err) => {
                    tracing::warn!(source = %profile.id(), "{err}");
                    Vec::new()
                }
            };
            rows.push(row);
        }
        Ok(rows)
    }

    async fn state_of(&self, profile: &Profile, activity: &TokenActivity) -> Result<SourceState, Error> {
        if profile.waits_for_approval() {
            return Ok(SourceState::WaitingForApproval);
        }
        if !profile.enabled {
            return Ok(SourceState::Disabled);
        }
        if let Some(command) = crate::program::missing_command(profile) {
            return Ok(SourceState::CommandNotFound { command });
        }
        for reference in profile.secret_refs().into_iter().filter(|r| !r.is_external()) {
            if self.vault.get(&VaultKey::source_secret(profile.id(), reference)).await?.is_none() {
                return Ok(SourceState::MissingSecret { reference: reference.clone() });
            }
        }
        if !uses_tokens(profile) {
            return Ok(SourceState::Ready);
        }
        let tokens = match StoredTokens::load(&self.vault, profile.id()).await {
            Ok(tokens) => tokens,
            Err(OAuthError::CorruptTokens { .. }) => return Ok(SourceState::TokensUnreadable),
            Err(err) => return Err(err.into()),
        };
        let wanted = token_binding(profile);
        let issued_elsewhere = |tokens: &StoredTokens| {
            wanted.as_ref().is_some_and(|wanted| tokens.issued_elsewhere(wanted).is_some())
        };
        if tokens.as_ref().is_some_and(issued_elsewhere) {
            return Ok(SourceState::NeedsSignIn);
        }
        if let Some(tokens) = &tokens {
            if oauth::refresh_in_flight(&self.dirs.locks(), profile.id()) {
                return Ok(SourceState::Refreshing { tokens: TokenStatus::of(tokens, &profile.auth) });
            }
            if let Some(error) = refresh_failure(tokens, activity) {
                return Ok(SourceState::Error {
                    tokens: TokenStatus::of(tokens, &profile.auth),
                    error: error.clone(),
                });
            }
        }
        if let Auth::Enterprise(settings) = &profile.auth {
            // Tokens come from the identity session without a browser while it can give ID tokens.
            let session = IdentitySession::load(&self.vault, profile.id(), settings).await?;
            let signed_in = session.as_ref().is_some_and(IdentitySession::is_usable);
            return Ok(match tokens {
                Some(tokens) if tokens.is_fresh(oauth::DEFAULT_RENEWAL) => {
                    SourceState::Connected { tokens: TokenStatus::of(&tokens, &profile.auth) }
                }
                _ if !signed_in => SourceState::NeedsSignIn,
                Some(tokens) => SourceState::Expiring { tokens: TokenStatus::of(&tokens, &profile.auth) },
                None => SourceState::Ready,
            });
        }
        let usable = |t: &StoredTokens| t.is_fresh(oauth::DEFAULT_RENEWAL) || t.can_refresh();
        if let Some(tokens) = tokens.as_ref().filter(|t| uses_sign_in(profile) && usable(t)) {
            let scopes = oauth::step_up::missing(tokens);
            if !scopes.is_empty() {
                return Ok(SourceState::NeedsMoreScope {
                    tokens: TokenStatus::of(tokens, &profile.auth),
                    scopes,
                });
            }
        }
        Ok(match tokens {
            None if uses_sign_in(profile) => SourceState::NeedsSignIn,
            None => SourceState::Ready,
            Some(tokens) if tokens.is_fresh(oauth::DEFAULT_RENEWAL) => {
                SourceState::Connected { tokens: TokenStatus::of(&tokens, &profile.auth) }
            }
            Some(tokens) if uses_sign_in(profile) && !tokens.can_refresh() => SourceState::NeedsSignIn,
            Some(tokens) => SourceState::Expiring { tokens: TokenStatus::of(&tokens, &profile.auth) },
        })
    }

    async fn store_secrets(&self, id: &SourceId, secrets: &[(SecretRef, Secret)]) -> Result<(), Error> {
        for (reference, value) in secrets {
            self.vault.set(&VaultKey::source_secret(id, reference), value).await?;
        }
        Ok(())
    }

    /// Best-effort removal, used to roll back; a failure here is logged, not raised, because the
    /// error that caused the roll-back is the one to report.
    async fn forget_secrets<'a>(&self, id: &SourceId, references: impl Iterator<Item = &'a SecretRef>) {
        for reference in references.filter(|r| !r.is_external()) {
            if let Err(err) = self.vault.delete(&VaultKey::source_secret(id, reference)).await {
                tracing::warn!(source = %id, %reference, %err, "could not remove a secret from the keychain");
            }
        }
    }
}

/// What [`Engine::sign_out_identity`] did.
#[derive(Debug, Default)]
pub struct IdentitySignOut {
    /// Whether any source uses that identity provider.
    pub matched: bool,
    /// Identity sessions that ended (one per client id used there).
    pub sessions_ended: usize,
    /// Sources whose tokens were forgotten.
    pub sources_disconnected: Vec<SourceId>,
}

/// Where `profile`'s tokens would be bound; `None` for a profile without tokens.
fn token_binding(profile: &Profile) -> Option<Binding> {
    crate::profile::server_url(profile).and_then(|url| Binding::of(&profile.auth, &url))
}

/// Sets a header, replacing one of the same name (any case).
fn set_header(headers: &mut Vec<(String, Secret)>, name: &str, value: Secret) {
    headers.retain(|(existing, _)| !existing.eq_ignore_ascii_case(name));
    headers.push((name.to_owned(), value));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn import_config_adds_new_sources_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::new(Dirs::new(dir.path(), dir.path().join("data")), Vault::mock());
        let config = dir.path().join("claude_desktop_config.json");
        std::fs::write(&config, r#"{"mcpServers": {"files": {"command": "node", "args": ["x.js"]}}}"#)
            .unwrap();

        let first = engine.import_config(&config).await.unwrap();
        assert_eq!(first.added, vec!["files".parse::<SourceId>().unwrap()], "a new id is imported");
        let second = engine.import_config(&config).await.unwrap();
        assert!(second.added.is_empty(), "an id that exists must not be imported again");
        assert_eq!(second.skipped.len(), 1, "the clash is reported as skipped: {:?}", second.skipped);
        assert!(engine.profile(&"files".parse().unwrap()).is_ok(), "the first import is kept");
        assert_eq!(first.waiting_for_approval, first.added, "a stdio server from a file waits");
        assert_eq!(
            first.waiting_said.as_deref(),
            Some(
                "Waiting for your approval: files. These run programs on this computer; nothing runs until you check each command and approve it."
            ),
            "the import words the wait once, for every front end"
        );
        assert_eq!(second.waiting_said, None, "nothing waits, nothing is said");
    }

    /// Issue 16: the add form says an id is taken as the person types, as saving would.
    #[tokio::test]
    async fn the_form_check_names_a_taken_id_when_adding_only() {
        use crate::profile::{FormAuth, FormTransport};
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::new(Dirs::new(dir.path(), dir.path().join("data")), Vault::mock());
        let form = |id: &str| Form {
            id: id.into(),
            name: None,
            transport: FormTransport::Stdio { command: "x".into(), args: vec![], env: vec![], cwd: None },
            auth: FormAuth::Plain,
        };
        assert_eq!(engine.form_problems(&form("taken"), false).unwrap(), [], "a free id");
        let (profile, secrets) = form("taken").into_new().unwrap();
        engine.add_profile(profile, secrets).await.unwrap();

        let problems = engine.form_problems(&form(" taken "), false).unwrap();
        let saving = engine.add_profile(form("taken").into_new().unwrap().0, Vec::new()).await.unwrap_err();
        assert_eq!(problems.iter().map(|p| p.field).collect::<Vec<_>>(), [FormField::Id], "{problems:?}");
        let words = id_taken(&"taken".parse().unwrap());
        assert!(problems[0].message.starts_with(&words), "{problems:?}");
        assert!(saving.to_string().starts_with(&words), "saving says it in the same words: {saving}");
        assert!(!problems[0].message.contains("lanyard"), "no CLI command in the form: {problems:?}");
        assert_eq!(engine.form_problems(&form("taken"), true).unwrap(), [], "editing it is no clash");
        assert_eq!(engine.form_problems(&form("free"), false).unwrap(), [], "another id is free");
    }

    #[tokio::test]
    async fn tool_choices_are_saved_and_a_bad_alias_is_refused_unsaved() {
        use crate::profile::Transport;
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::new(Dirs::new(dir.path(), dir.path().join("data")), Vault::mock());
        let id: SourceId = "tools".parse().unwrap();
        let transport =
            Transport::Stdio { command: "x".into(), args: vec![], env: Default::default(), cwd: None };
        engine.add_profile(Profile::new(id.clone(), transport), Vec::new()).await.unwrap();
        let choice = |name: &str, exposed, alias: &str| ToolChoice {
            name: name.into(),
            exposed,
            alias: Some(alias.into()),
            description: None,
        };

        engine.set_tool_choices(&id, &[choice("echo", true, "say"), choice("rm", false, "")]).await.unwrap();
        let saved = engine.profile(&id).unwrap().tools;
        assert_eq!(saved.exclude, vec!["rm".to_owned()], "the hidden tool is saved as excluded");
        assert_eq!(saved.alias.get("echo").map(String::as_str), Some("say"), "the alias is saved");

        let refused = engine.set_tool_choices(&id, &[choice("add", true, "say")]).await;
        assert!(
            matches!(refused, Err(Error::Profile(ProfileError::InvalidNew { .. }))),
            "an alias used twice is refused: {refused:?}"
        );
        assert_eq!(engine.profile(&id).unwrap().tools, saved, "a refused change writes nothing");
    }

    #[tokio::test]
    async fn the_apps_review_approves_or_rejects_one_tool_or_approves_all() {
        use crate::pins::{Decision, Definition, Verdict};
        use crate::profile::Transport;
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::new(Dirs::new(dir.path(), dir.path().join("data")), Vault::mock());
        let id: SourceId = "pinned".parse().unwrap();
        let transport =
            Transport::Stdio { command: "x".into(), args: vec![], env: Default::default(), cwd: None };
        let profile = Profile::new(id.clone(), transport);
        engine.add_profile(profile.clone(), Vec::new()).await.unwrap();
        let tools = |text: &str| -> Vec<Definition> {
            ["echo", "add", "rm"]
                .iter()
                .filter_map(|name| {
                    Definition::from_wire(&serde_json::json!({"name": name, "description": text}))
                })
                .collect()
        };
        let pins = engine.source_pins(&profile);
        pins.observe(&tools("first"));
        pins.observe(&tools("changed"));
        let decisions = |engine: &Engine| -> Vec<(String, Decision)> {
            engine.tool_changes(&id).unwrap().into_iter().map(|t| (t.name, t.decision)).collect()
        };
        assert_eq!(decisions(&engine).len(), 3, "all three wait");

        engine.review_tool_change(&id, Some("echo"), Verdict::Reject).unwrap();
        pins.reread();
        assert_eq!(pins.releases(), 0, "a rejection gives agents nothing: they are not told");
        engine.review_tool_change(&id, Some("add"), Verdict::Approve).unwrap();
        pins.reread();
        assert_eq!(pins.releases(), 1, "an approval gives agents a tool: a bridge tells them");
        assert_eq!(
            decisions(&engine),
            [("echo".to_owned(), Decision::Rejected), ("rm".to_owned(), Decision::Waiting)],
            "one rejected, one approved"
        );
        let err = engine.review_tool_change(&id, Some("add"), Verdict::Reject).unwrap_err();
        assert!(err.to_string().contains("no tool `add` waiting"), "{err}");
        engine.review_tool_change(&id, None, Verdict::Approve).unwrap();
        assert!(decisions(&engine).is_empty(), "approve all takes the rejected one too");
    }
}
