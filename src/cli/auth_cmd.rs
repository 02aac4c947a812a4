//! `lanyard connect`, `reconnect` and `disconnect`: the only commands that open a browser.
//! Sign-in itself is the engine's; this file picks the browser or paste-back mode, prints the
//! URL (always, in case the browser does not open) and reports the outcome.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;

use lanyard::Engine;
use lanyard::clock::relative_time;
use lanyard::oauth::{Browser, Disconnected, SignInOptions};
use lanyard::source::SourceState;

use super::args::{ConnectArgs, DisconnectArgs};

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
    let options = sign_in_options(args.no_browser, Duration::from_secs(args.timeout));
    // On Ctrl-C the sign-in is dropped, which closes its listener and removes its pending
    // record, before the command ends.
    let tokens = tokio::select! {
        signed_in = engine.sign_in(id, options) => signed_in?,
        _ = tokio::signal::ctrl_c() => anyhow::bail!("the sign-in of `{id}` was cancelled"),
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
    let id = &args.id;
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
