//! The hub: while `lanyard serve` (or the desktop app, which runs the same server) is up, every
//! `lanyard bridge` process goes through it, so that one process owns each source's tokens and
//! refreshes them once for everybody.
//!
//! The running server announces itself in `<data dir>/hub.json` (its port and process id; nothing
//! secret), written atomically and removed when it stops. A bridge that finds the file does not
//! trust it blindly: a stale file may name a port that another program has taken since, and the
//! bridge must never hand that program the bridge token. So it first asks
//! `GET /lanyard/hub?nonce=<random>` without the token, and goes on only if the answer carries
//! `HMAC-SHA256(bridge token, nonce)`: proof that the listener knows the token without the token
//! ever being sent. Anything else (no file, no answer, a wrong proof) means "no hub", and the
//! bridge serves the source itself, with the cross-process refresh lock as the safety net.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use tracing::debug;

use crate::secret::Secret;

/// The path of the proof endpoint; it is the only one the door opens without the bridge token.
pub(crate) const PROOF_PATH: &str = "/lanyard/hub";
/// Where the `default` agent asks a running hub to read the agents' keys again (after `lanyard
/// agent rotate`).
pub(crate) const KEYS_PATH: &str = "/lanyard/keys";
/// The header the proof comes back in.
pub(crate) const PROOF_HEADER: &str = "lanyard-hub-proof";
/// How long a bridge waits for the hub's proof before serving the source itself. Generous: a
/// hub busy starting many bridges at once is still the right owner (a dead port answers at once).
const PROOF_TIMEOUT: Duration = Duration::from_secs(5);
const FILE_NAME: &str = "hub.json";

#[derive(Debug, Serialize, Deserialize)]
struct Announcement {
    port: u16,
    pid: u32,
}

/// The announcement of a running hub; dropping it takes the announcement back.
#[derive(Debug)]
pub(crate) struct Announced {
    path: PathBuf,
    port: u16,
}

/// Announces a hub listening on 127.0.0.1:`port`. Failing to write the file only means bridges
/// will not find the hub, so the caller logs it and serves on.
pub(crate) fn announce(data_dir: &Path, port: u16) -> std::io::Result<Announced> {
    std::fs::create_dir_all(data_dir)?;
    let path = data_dir.join(FILE_NAME);
    let text =
        serde_json::to_vec(&Announcement { port, pid: std::process::id() }).map_err(std::io::Error::other)?;
    let mut file = tempfile::NamedTempFile::new_in(data_dir)?;
    std::io::Write::write_all(&mut file, &text)?;
    file.persist(&path).map_err(|err| err.error)?;
    Ok(Announced { path, port })
}

impl Drop for Announced {
    fn drop(&mut self) {
        // Only our own announcement: a newer hub may have replaced it.
        if read(&self.path).is_some_and(|a| a.port == self.port && a.pid == std::process::id()) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Whether a hub has announced itself (it may still be gone; [`find`] checks).
pub(crate) fn announced(data_dir: &Path) -> bool {
    data_dir.join(FILE_NAME).is_file()
}

fn read(path: &Path) -> Option<Announcement> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// The address of a running hub that proved it knows `token`, if there is one.
pub(crate) async fn find(data_dir: &Path, token: &Secret) -> Option<SocketAddr> {
    let announced = read(&data_dir.join(FILE_NAME))?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, announced.port));
    let nonce = nonce();
    // No redirect: the proof must come from the listener on the announced port itself, not from
    // a hub somewhere else that the program on this port sends us to.
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(crate::net::no_redirects())
        .timeout(PROOF_TIMEOUT)
        .build()
        .ok()?;
    let answer = client.get(format!("http://{addr}{PROOF_PATH}?nonce={nonce}")).send().await;
    let proof = match answer {
        Ok(answer) => answer.headers().get(PROOF_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned),
        Err(err) => {
            debug!(%addr, err = %err.without_url(), "the announced hub does not answer");
            None
        }
    };
    if proof.as_deref().is_some_and(|proof| verify(token, &nonce, proof)) {
        Some(addr)
    } else {
        debug!(%addr, "the announced hub gave no valid proof; serving the source here");
        None
    }
}

/// The address of this install's running hub, if one runs and proves itself; never creates the
/// bridge token (for `lanyard doctor`, which only looks).
pub async fn running_hub(engine: &crate::Engine) -> Option<SocketAddr> {
    let data_dir = engine.dirs().data();
    if !announced(data_dir) {
        return None;
    }
    let token = engine.vault().get(&crate::vault::VaultKey::bridge_token()).await.ok()??;
    find(data_dir, &token).await
}

/// Tells this install's running hub, if one runs and proves itself, to read the agents' keys
/// again now. Best effort: a hub that cannot be told follows the profile file within a second.
pub async fn reload_hub_keys(engine: &crate::Engine) {
    let data_dir = engine.dirs().data();
    if !announced(data_dir) {
        return;
    }
    let Ok(token) = super::bridge_token(engine.vault()).await else { return };
    let Some(addr) = find(data_dir, &token).await else { return };
    let Ok(client) = reqwest::Client::builder()
        .no_proxy()
        .redirect(crate::net::no_redirects())
        .timeout(PROOF_TIMEOUT)
        .build()
    else {
        return;
    };
    let sent = client.post(format!("http://{addr}{KEYS_PATH}")).bearer_auth(token.expose()).send().await;
    match sent {
        Ok(answer) if answer.status().is_success() => debug!(%addr, "the hub read the agents' keys again"),
        Ok(answer) => debug!(%addr, status = %answer.status(), "the hub did not read the keys again"),
        Err(err) => debug!(%addr, err = %err.without_url(), "the hub did not answer"),
    }
}

/// The proof for `nonce`: hex HMAC-SHA256 keyed with the bridge token. `None` for a nonce that
/// is not 16 to 128 hex digits, so the endpoint cannot be made to sign arbitrary data.
pub(crate) fn prove(token: &Secret, nonce: &str) -> Option<String> {
    let valid = (16..=128).contains(&nonce.len()) && nonce.bytes().all(|b| b.is_ascii_hexdigit());
    valid.then(|| hex(&mac(token, nonce).finalize().into_bytes()))
}

fn verify(token: &Secret, nonce: &str, proof: &str) -> bool {
    let Some(bytes) = unhex(proof) else { return false };
    mac(token, nonce).verify_slice(&bytes).is_ok()
}

fn mac(token: &Secret, nonce: &str) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(token.expose().as_bytes()).expect("HMAC takes any key length");
    mac.update(nonce.as_bytes());
    mac
}

fn nonce() -> String {
    crate::ids::random_hex(16)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proof_verifies_only_with_the_same_token_and_nonce() {
        let token = Secret::new("t0ken");
        let nonce = "00112233445566778899aabbccddeeff";
        let proof = prove(&token, nonce).expect("a valid nonce is signed");
        assert!(verify(&token, nonce, &proof), "the hub's proof verifies");
        assert!(!verify(&Secret::new("other"), nonce, &proof), "another install's token does not");
        assert!(!verify(&token, "ffeeddccbbaa99887766554433221100", &proof), "another nonce does not");
        assert!(!verify(&token, nonce, "zz"), "garbage does not");
    }

    #[test]
    fn only_hex_nonces_of_sane_length_are_signed() {
        let token = Secret::new("t0ken");
        assert!(prove(&token, "short").is_none(), "too short");
        assert!(prove(&token, &"a".repeat(129)).is_none(), "too long");
        assert!(prove(&token, "not hex at all, not hex at all!").is_none(), "not hex");
    }

    #[test]
    fn the_announcement_is_taken_back_and_a_missing_one_is_no_hub() {
        let dir = tempfile::tempdir().unwrap();
        let announced = announce(dir.path(), 4242).expect("announced");
        assert_eq!(read(&dir.path().join(FILE_NAME)).map(|a| a.port), Some(4242), "the file names the port");
        drop(announced);
        assert!(!dir.path().join(FILE_NAME).exists(), "stopping the hub removes its announcement");
    }
}
