//! `lanyard connect`, `reconnect` and `disconnect`: the only commands that open a browser.
//! Sign-in itself is the engine's; this file picks the browser or paste-back mode, prints the
//! URL (always, in case the browser does not open) and reports the outcome.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;

use lanyard::Engine;
use lanyard::Secret;
use lanyard::clock::relative_time;
use lanyard::oauth::{Browser, Disconnected, SignInCancelled, SignInOptions};
use lanyard::profile::Auth;
use lanyard::source::SourceState;

use super::args::{ConnectArgs, DisconnectArgs};
use super::exit::UsageError;

pub async fn connect(engine: &Engine, args: ConnectArgs, again: bool) -> Result<()> {
    let id = &args.id;
    if !again {
        let status = engine.status(Some(id)).await?;
        if let Some(
            SourceState::Connected { .. } | SourceState::Expiring { .. } | SourceState::Refreshing { .. },
        ) = status.first().map(|row| &row.state)
        {
            println!("`{id}` is already connected; `lanyard reconnect {id}` signs in again.");
            return Ok(());
        }
    }
    let given_id_token = match &args.id_token_env {
        Some(var) => {
            if !matches!(engine.profile(id)?.auth, Auth::Enterprise(_)) {
                return Err(UsageError::new(format!(
                    "--id-token-env applies to enterprise sources (`--auth enterprise`); `{id}` is not one"
                ))
                .into());
            }
            match std::env::var(var) {
                Ok(value) if !value.is_empty() => Some(Secret::new(value)),
                _ => {
                    return Err(UsageError::new(format!(
                        "--id-token-env: environment variable `{var}` is not set or empty"
                    ))
                    .into());
                }
            }
        }
        None => None,
    };
    let options = sign_in_options(args.no_browser, Duration::from_secs(args.timeout));
    // On Ctrl-C the sign-in is dropped, which closes its listener and removes its pending
    // record, before the command ends.
    let signing_in = async {
        match given_id_token {
            Some(id_token) => engine.sign_in_with_id_token(id, id_token).await,
            None => engine.sign_in(id, options).await,
        }
    };
    let tokens = tokio::select! {
        signed_in = signing_in => signed_in?,
        _ = tokio::signal::ctrl_c() => return Err(SignInCancelled { id: id.clone() }.into()),
    };
    let expiry =
        tokens.expires_at.map(|at| format!(", token expires {}", relative_time(at))).unwrap_or_default();
    let scopes = if tokens.scopes.is_empty() { "none".to_owned() } else { tokens.scopes.join(" ") };
    let account =
        tokens.account.as_ref().and_then(|a| a.label()).map(|a| format!(" as {a}")).unwrap_or_default();
    println!("`{id}` is connected{account} (issuer {}, scopes {scopes}{expiry}).", tokens.issuer);
    Ok(())
}

/// How a sign-in started by a command talks to the person: the URL always printed, then the
/// browser, or (`no_browser`) the address pasted back on standard input.
pub fn sign_in_options(no_browser: bool, timeout: Duration) -> SignInOptions {
    let show_url = Arc::new(move |url: &url::Url| {
        eprintln!("To sign in, open this address in a browser:\n\n  {url}\n");
        if no_browser {
            eprintln!("Then paste here the address the browser ended on (it starts with http://127.0.0.1):");
        }
    });
    SignInOptions {
        browser: if no_browser { Browser::None } else { Browser::FromEnv },
        paste_back: no_browser.then(|| {
            Box::new(tokio::io::BufReader::new(tokio::io::stdin()))
                as Box<dyn tokio::io::AsyncBufRead + Unpin + Send>
        }),
        timeout,
        show_url: Some(show_url),
    }
}

pub async fn disconnect(engine: &Engine, args: DisconnectArgs) -> Result<()> {
    let id = match (&args.id, &args.idp) {
        (_, Some(issuer)) => return sign_out_identity(engine, issuer).await,
        (Some(id), None) => id,
        (None, None) => return Err(UsageError::new("give a source id, or --idp <issuer>").into()),
    };
    match engine.disconnect(id).await? {
        Disconnected::NothingStored => println!("`{id}` held no tokens."),
        Disconnected::Revoked => println!("`{id}` is disconnected: its tokens were revoked and forgotten."),
        Disconnected::Forgotten => {
            println!("`{id}` is disconnected: its tokens were forgotten (the server offers no revocation).")
        }
        Disconnected::RevocationFailed(err) => {
            println!(
                "`{id}` is disconnected: its tokens were forgotten, but the server did not confirm revoking them ({err})."
            )
        }
        _ => println!("`{id}` is disconnected."),
    }
    Ok(())
}

/// `lanyard disconnect --idp <issuer>`: the identity sessions there end, and the sources that
/// signed in through them are disconnected.
async fn sign_out_identity(engine: &Engine, issuer: &str) -> Result<()> {
    let out = engine.sign_out_identity(issuer).await?;
    if !out.matched {
        return Err(UsageError::new(format!(
            "no source signs in at identity provider {issuer} (`lanyard status` lists each enterprise source's)"
        ))
        .into());
    }
    let sessions = match out.sessions_ended {
        0 => "held no identity session".to_owned(),
        1 => "ended its identity session".to_owned(),
        n => format!("ended {n} identity sessions"),
    };
    println!("Signed out of {issuer}: {sessions}.");
    if !out.sources_disconnected.is_empty() {
        let ids: Vec<String> = out.sources_disconnected.iter().map(|id| format!("`{id}`")).collect();
        println!("Disconnected {}; `lanyard connect <id>` signs in again.", ids.join(", "));
    }
    Ok(())
}
