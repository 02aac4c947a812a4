//! Fresh bearer tokens for a source: the one place that decides when to refresh, and makes sure
//! only one refresh per source runs at a time, across every Lanyard process.
//!
//! A rotating refresh token used twice gets the user signed out by many servers (reuse
//! detection revokes the grant). So a refresh takes an exclusive lock on a per-source file in
//! `<data dir>/locks/` (`File::lock`, an advisory OS lock that also serializes threads of one
//! process, and is released if the process dies), then re-reads the vault, because another
//! process may have refreshed while this one waited; only if the tokens there still need it
//! does it refresh. The rotated refresh token is stored before the new access token is handed
//! out, and when the keychain refuses it, it is held in memory until the keychain takes it. A
//! refused refresh (`invalid_grant`) deletes the tokens, so the source reads as *needs
//! sign-in*; a dead dynamic registration (`invalid_client`) is dropped too. Each refresh's
//! start and outcome go to the source's history (`activity`, [`crate::history`]) for `lanyard
//! status`. A refresh that failed on the server's side (down, slow, 5xx) keeps the tokens and is
//! not tried again before its backoff runs out (`retry`); meanwhile an access token that has not
//! expired yet is still handed out.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tracing::{debug, info, instrument, warn};
use url::Url;

use super::binding::Binding;
use super::error::{OAuthError, Step};
use super::http::{post_form, refusal};
use super::lock::SourceLock;
use super::tokens::{Renewal, StoredTokens, TokenAnswer};
use super::{activity, client_credentials, enterprise, registration, retry, step_up};
use crate::history::History;
use crate::ids::SourceId;
use crate::paths::Dirs;
use crate::profile::{Auth, OAuthSettings, Profile};
use crate::secret::Secret;
use crate::upstream::Origin;
use crate::vault::Vault;

/// Refresh this long before the access token expires.
pub const DEFAULT_MARGIN: Duration = Duration::from_secs(60);

/// When every Lanyard process renews a token: [`DEFAULT_MARGIN`] before it expires, or half-way
/// through its life when that is shorter than twice the margin.
pub const DEFAULT_RENEWAL: Renewal = Renewal::Before(DEFAULT_MARGIN);

/// An access token handed out by [`Credentials::access`], with its expiry.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub token: Secret,
    /// Unix seconds; `None` when the server did not say.
    pub expires_at: Option<u64>,
    /// When to ask for a renewal, Unix seconds (see [`StoredTokens::renew_at`]); `None` when the
    /// server gave no expiry.
    pub renew_at: Option<u64>,
    /// The key of a DPoP-bound token, whose proof each request must carry; `None` for a bearer
    /// token.
    pub dpop: Option<super::dpop::DpopKey>,
}

impl AccessToken {
    fn of(tokens: &StoredTokens, renewal: Renewal) -> Self {
        Self {
            token: tokens.access_token.clone(),
            expires_at: tokens.expires_at,
            renew_at: tokens.renew_at(renewal),
            dpop: tokens.dpop_key.clone(),
        }
    }
}

/// Hands out fresh bearer tokens for sources, refreshing them when needed.
#[derive(Debug)]
pub struct Credentials<'a> {
    vault: &'a Vault,
    lock_dir: PathBuf,
    history: History,
    renewal: Renewal,
}

impl<'a> Credentials<'a> {
    /// Locks live in `dirs`' lock folder and outcomes go to the sources' histories there; tokens
    /// are renewed [`DEFAULT_MARGIN`] before they expire, or half-way through a shorter life
    /// ([`DEFAULT_RENEWAL`]).
    pub fn new(vault: &'a Vault, dirs: &Dirs) -> Self {
        Self { vault, lock_dir: dirs.locks(), history: History::in_dirs(dirs), renewal: DEFAULT_RENEWAL }
    }

    /// Renews tokens exactly `margin` before they expire, however short their life.
    pub fn with_margin(mut self, margin: Duration) -> Self {
        self.renewal = Renewal::Exactly(margin);
        self
    }

    pub fn renewal(&self) -> Renewal {
        self.renewal
    }

    /// A bearer token for `profile`'s server at `mcp_url`, refreshed first if it expires within
    /// the margin. `refused` is a token the server just answered 401 to: it is not handed out
    /// again, and a refresh happens unless another process already replaced it.
    pub async fn bearer(
        &self,
        profile: &Profile,
        mcp_url: &Url,
        refused: Option<&Secret>,
    ) -> Result<Secret, OAuthError> {
        Ok(self.access(profile, mcp_url, refused).await?.token)
    }

    /// Like [`Credentials::bearer`], with the token's expiry, for callers that keep the token
    /// in memory between requests (the bridge) and must know when to ask again.
    #[instrument(skip_all, fields(source = %profile.id()))]
    pub async fn access(
        &self,
        profile: &Profile,
        mcp_url: &Url,
        refused: Option<&Secret>,
    ) -> Result<AccessToken, OAuthError> {
        let id = profile.id();
        let usable =
            |tokens: &StoredTokens| tokens.is_fresh(self.renewal) && refused != Some(&tokens.access_token);
        let wanted = Binding::of(&profile.auth, mcp_url);
        match (&profile.auth, self.load_bound(profile, wanted.as_ref()).await?) {
            (_, Some(tokens)) if usable(&tokens) => return Ok(AccessToken::of(&tokens, self.renewal)),
            (Auth::OAuth(_), None) => return Err(OAuthError::NeedsSignIn { id: id.clone() }),
            (Auth::OAuth(_) | Auth::ClientCredentials(_) | Auth::Enterprise(_), _) => {}
            (other, _) => return Err(OAuthError::NotOAuth { id: id.clone(), auth: other.kind_name() }),
        }
        let _lock = SourceLock::acquire(&self.lock_dir, id).await?;
        // Another process may have renewed while this one waited for the lock.
        let current = match self.load_bound(profile, wanted.as_ref()).await? {
            Some(tokens) if usable(&tokens) => {
                debug!("another process renewed the tokens");
                return Ok(AccessToken::of(&tokens, self.renewal));
            }
            current => current,
        };
        // While the server has trouble, an access token that has not expired yet keeps working.
        let fallback = current
            .as_ref()
            .filter(|tokens| still_valid(tokens, refused))
            .map(|tokens| AccessToken::of(tokens, self.renewal));
        let obtained_at = current.as_ref().map(|tokens| tokens.obtained_at);
        if let Some(retry_at) = activity::held_back_until(&self.history.tokens(id), obtained_at) {
            debug!(retry_at, "the last refresh failed; waiting out its backoff");
            return fallback.ok_or(OAuthError::RetryLater { id: id.clone(), retry_at });
        }
        let http = super::http::client_for(profile)?;
        let renewed = match (&profile.auth, current) {
            (Auth::ClientCredentials(settings), current) => {
                client_credentials::fetch(&http, self.vault, id, mcp_url, settings, current.as_ref()).await
            }
            (Auth::Enterprise(settings), _) => {
                enterprise::fetch(&http, self.vault, &self.lock_dir, id, mcp_url, settings).await
            }
            (Auth::OAuth(settings), Some(tokens)) => {
                self.refresh(&http, id, settings, tokens, wanted.clone()).await
            }
            _ => return Err(OAuthError::NeedsSignIn { id: id.clone() }),
        };
        activity::note_refresh(&self.history, id, renewed.as_ref().map(drop));
        match (renewed, fallback) {
            (Ok(tokens), _) => Ok(AccessToken::of(&tokens, self.renewal)),
            (Err(err), Some(fallback)) if retry::is_transient(&err) => {
                info!(source = %id, "the refresh failed for now; the current access token is still valid");
                Ok(fallback)
            }
            (Err(err), _) => Err(err),
        }
    }

    /// `profile`'s tokens, if they were issued for `wanted`. Tokens issued for another server or
    /// other sign-in settings are never handed out: they are revoked where they were issued (when
    /// that server offers it) and removed, and the source needs a new sign-in. Whichever process
    /// first sees such tokens ends them, so a hand edit of the file is followed like an edit
    /// through `lanyard profile edit` or the app.
    async fn load_bound(
        &self,
        profile: &Profile,
        wanted: Option<&Binding>,
    ) -> Result<Option<StoredTokens>, OAuthError> {
        let id = profile.id();
        let Some(tokens) = StoredTokens::load(self.vault, id).await? else { return Ok(None) };
        let Some(wanted) = wanted else { return Ok(Some(tokens)) };
        let Some((signed_in_at, changed)) = tokens.issued_elsewhere(wanted) else { return Ok(Some(tokens)) };
        warn!(source = %id, %signed_in_at, ?changed, "ending the sign-in of tokens issued for other settings");
        // Revoked at the server that issued them, where it offers that; removed either way.
        let ended = match super::http::client_for(profile) {
            Ok(http) => super::revoke::end_outdated(&http, self.vault, profile, &tokens).await.map(drop),
            Err(err) => Err(err),
        };
        if let Err(err) = ended {
            warn!(source = %id, %err, "could not revoke the outdated tokens; removing them");
            StoredTokens::delete(self.vault, id).await?;
        }
        Err(OAuthError::SignInOutdated { id: id.clone(), signed_in_at, changed })
    }

    /// Records a `403 insufficient_scope` for `profile`'s source: the challenged scopes join the
    /// tokens' step-up record (under the refresh lock, so a concurrent refresh's rotated token is
    /// never overwritten), and the error to report comes back. Never signs in: see `step_up`.
    #[instrument(skip_all, fields(source = %profile.id()))]
    pub async fn note_insufficient_scope(&self, profile: &Profile, challenged: Vec<String>) -> OAuthError {
        let id = profile.id();
        match self.record_step_up(id, challenged).await {
            Ok(err) | Err(err) => err,
        }
    }

    async fn record_step_up(&self, id: &SourceId, challenged: Vec<String>) -> Result<OAuthError, OAuthError> {
        let _lock = SourceLock::acquire(&self.lock_dir, id).await?;
        let Some(mut tokens) = StoredTokens::load(self.vault, id).await? else {
            return Ok(OAuthError::NeedsSignIn { id: id.clone() });
        };
        let step_up = step_up::record(tokens.step_up.as_ref(), challenged);
        let wanted = if step_up.scopes.is_empty() { tokens.scopes.clone() } else { step_up.scopes.clone() };
        let attempts = step_up.attempts;
        if tokens.step_up.as_ref() != Some(&step_up) {
            tokens.step_up = Some(step_up);
            tokens.save(self.vault, id).await?;
        }
        info!(source = %id, attempts, "the server asked for more scope");
        Ok(if attempts >= step_up::MAX_STEP_UPS {
            OAuthError::ScopeNotGranted { id: id.clone(), scopes: wanted, attempts }
        } else {
            OAuthError::NeedsMoreScope { id: id.clone(), scopes: wanted }
        })
    }

    /// Uses the refresh token, under the lock. Stores the result before returning it.
    async fn refresh(
        &self,
        http: &reqwest::Client,
        id: &SourceId,
        settings: &OAuthSettings,
        tokens: StoredTokens,
        binding: Option<Binding>,
    ) -> Result<StoredTokens, OAuthError> {
        let Some(refresh_token) = tokens.refresh_token.clone().filter(|_| tokens.can_refresh()) else {
            StoredTokens::delete(self.vault, id).await?;
            return Err(OAuthError::NeedsSignIn { id: id.clone() });
        };
        let auth = registration::client_auth(self.vault, id, settings, &tokens).await?;
        let mut fields = vec![("grant_type", "refresh_token"), ("refresh_token", refresh_token.expose())];
        if let Some(resource) = &tokens.resource {
            fields.push(("resource", resource));
        }
        let step = Step::Refresh;
        let origin = Origin::of(&tokens.token_endpoint);
        let cut_off = activity::note_refresh_start(&self.history, id);
        let dpop = tokens.dpop_key.as_ref();
        let (status, body) = post_form(http, id, step, &tokens.token_endpoint, &auth, &fields, dpop).await?;
        if !(200..300).contains(&status) {
            return Err(self.refused(id, &tokens, refusal(id, &origin, step, status, &body), cut_off).await);
        }
        let mut renewed = TokenAnswer::parse(id, &origin, step, &body, dpop.is_some())?.renew(&tokens);
        // Tokens from before bindings existed get the profile's now (see `binding`).
        renewed.binding = renewed.binding.or(binding);
        // Rotation safety: the server has spent the old refresh token, so the new one is in the
        // vault before anyone uses the new access token; if the keychain refuses it (locked, its
        // daemon gone), it is held in memory and written on a later read, never dropped.
        if let Err(err) = renewed.save_or_hold(self.vault, id, &tokens).await {
            warn!(source = %id, %err, "the rotated tokens are held in memory until the keychain takes them");
        }
        info!(source = %id, rotated = renewed.refresh_token != tokens.refresh_token, "tokens refreshed");
        Ok(renewed)
    }

    /// What a refused refresh means for the stored state. `cut_off`: an earlier refresh of these
    /// tokens never recorded its outcome (see [`activity::note_refresh_start`]).
    async fn refused(
        &self,
        id: &SourceId,
        tokens: &StoredTokens,
        err: OAuthError,
        cut_off: bool,
    ) -> OAuthError {
        let code = match &err {
            OAuthError::Refused { code, .. } => code.clone(),
            _ => return err,
        };
        match code.as_str() {
            "invalid_grant" => {
                if let Err(err) = StoredTokens::delete(self.vault, id).await {
                    return err;
                }
                if cut_off {
                    return OAuthError::RefreshCutOff { id: id.clone(), code };
                }
                OAuthError::SignInExpired { id: id.clone(), code }
            }
            "invalid_client" => {
                let dynamic = registration::load(self.vault, id, &tokens.issuer)
                    .await
                    .ok()
                    .flatten()
                    .is_some_and(|client| client.auth.client_id() == tokens.client_id);
                if !dynamic {
                    return err;
                }
                if let Err(err) = registration::forget(self.vault, id, &tokens.issuer).await {
                    return err;
                }
                if let Err(err) = StoredTokens::delete(self.vault, id).await {
                    return err;
                }
                OAuthError::RegistrationDropped { id: id.clone(), issuer: tokens.issuer.clone() }
            }
            _ => err,
        }
    }
}

/// Whether `tokens`' access token can still be used while a refresh is impossible: the server did
/// not just refuse it, and it has an expiry that is still ahead (the margin is for refreshing
/// early, not a limit on use).
fn still_valid(tokens: &StoredTokens, refused: Option<&Secret>) -> bool {
    refused != Some(&tokens.access_token) && tokens.expires_at.is_some_and(|at| at > crate::clock::now())
}

/// Whether some process (this one included) holds `id`'s refresh lock right now: a refresh (or a
/// step-up record) of that source is in flight. Never waits: it only tries the lock and lets go.
/// A lock file that does not exist, or cannot be opened, means nothing is in flight.
pub fn refresh_in_flight(lock_dir: &Path, id: &SourceId) -> bool {
    let Ok(file) = std::fs::File::open(lock_dir.join(format!("{id}.lock"))) else { return false };
    matches!(file.try_lock(), Err(std::fs::TryLockError::WouldBlock))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn source_lock_is_exclusive() {
        let dir = tempfile::tempdir().unwrap();
        let id: SourceId = "s".parse().unwrap();
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let (dir, id, inside, most) = (dir.path().to_owned(), id.clone(), inside.clone(), most.clone());
            tasks.push(tokio::spawn(async move {
                let _lock = SourceLock::acquire(&dir, &id).await.unwrap();
                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::task::yield_now().await;
                std::thread::sleep(Duration::from_millis(5));
                inside.fetch_sub(1, Ordering::SeqCst);
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 1, "never two holders of one source's lock at once");
    }

    #[tokio::test]
    async fn a_held_lock_reads_as_a_refresh_in_flight_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let id: SourceId = "s".parse().unwrap();
        assert!(!refresh_in_flight(dir.path(), &id), "no lock file: nothing in flight");
        let lock = SourceLock::acquire(dir.path(), &id).await.unwrap();
        assert!(refresh_in_flight(dir.path(), &id), "a held lock means a refresh is in flight");
        drop(lock);
        assert!(!refresh_in_flight(dir.path(), &id), "a released lock (or a dead holder) means none");
    }
}

#[cfg(test)]
mod send_check {
    #[allow(dead_code)]
    fn bearer_is_send(
        c: &super::Credentials<'static>,
        p: &'static crate::profile::Profile,
        u: &'static url::Url,
    ) {
        fn send<T: Send>(_: T) {}
        send(c.bearer(p, u, None));
    }
}
