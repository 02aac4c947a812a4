//! Step-up authorization: a server answers `403 insufficient_scope` with the scopes it wants,
//! and the next sign-in asks for the union of the held and the challenged scopes.
//!
//! **Decision: the 403 never opens a browser.** A call that meets it records the challenged
//! scopes with the source's tokens and fails with [`OAuthError::NeedsMoreScope`], which tells the
//! person to run `lanyard reconnect <id>` (or press Reconnect); that explicit sign-in reads the
//! record and requests the union. So a background path (the bridge, a refresh, a status poll) can
//! never start a sign-in, and the record survives between processes. The number of sign-ins that
//! request the same scopes is bounded by [`MAX_STEP_UPS`]: after that, a server that still refuses
//! gets [`OAuthError::ScopeNotGranted`], which points at the server's administrator rather than
//! at yet another sign-in.

use super::challenge;
use super::tokens::{StepUp, StoredTokens};

/// How many sign-ins may ask for the same challenged scopes before Lanyard stops suggesting
/// another one.
pub const MAX_STEP_UPS: u32 = 2;

/// The scopes a `WWW-Authenticate` header asks for when it is an `insufficient_scope`
/// challenge (possibly none named); `None` for any other answer.
pub fn insufficient_scope(www_authenticate: &str) -> Option<Vec<String>> {
    let challenge = challenge::bearer([www_authenticate])?;
    (challenge.error.as_deref() == Some("insufficient_scope")).then(|| challenge.scope.unwrap_or_default())
}

/// The challenged scopes the tokens do not hold yet; empty when nothing is pending.
pub fn missing(tokens: &StoredTokens) -> Vec<String> {
    match &tokens.step_up {
        Some(step_up) => step_up.scopes.iter().filter(|s| !tokens.scopes.contains(s)).cloned().collect(),
        None => Vec::new(),
    }
}

/// What a new `insufficient_scope` challenge does to the record: the same (or fewer) scopes keep
/// the attempt count, new ones start a new record that also keeps the old ones.
pub fn record(previous: Option<&StepUp>, challenged: Vec<String>) -> StepUp {
    match previous {
        Some(step_up) if challenged.iter().all(|s| step_up.scopes.contains(s)) => step_up.clone(),
        Some(step_up) => StepUp { scopes: union(&step_up.scopes, &challenged), attempts: 0 },
        None => StepUp { scopes: challenged, attempts: 0 },
    }
}

/// The scopes a sign-in requests, and the step-up record the new tokens carry. With a step-up
/// pending: the requested, the held and the challenged scopes together, and one more attempt.
pub fn for_sign_in(requested: Vec<String>, held: Option<&StoredTokens>) -> (Vec<String>, Option<StepUp>) {
    match held.and_then(|tokens| tokens.step_up.as_ref().map(|step_up| (tokens, step_up))) {
        Some((tokens, step_up)) => {
            let scopes = union(&union(&requested, &tokens.scopes), &step_up.scopes);
            (scopes, Some(StepUp { scopes: step_up.scopes.clone(), attempts: step_up.attempts + 1 }))
        }
        None => (requested, None),
    }
}

/// `a` then the members of `b` not in `a`, in order.
pub fn union(a: &[String], b: &[String]) -> Vec<String> {
    let mut out = a.to_vec();
    for scope in b {
        if !out.contains(scope) {
            out.push(scope.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn only_insufficient_scope_is_a_step_up() {
        let header =
            r#"Bearer error="insufficient_scope", scope="mcp:read mcp:admin", resource_metadata="x""#;
        assert_eq!(insufficient_scope(header), Some(strings(&["mcp:read", "mcp:admin"])), "scopes read");
        assert_eq!(insufficient_scope(r#"Bearer error="invalid_token""#), None, "an expired token is not");
        assert_eq!(
            insufficient_scope(r#"Bearer error="insufficient_scope""#),
            Some(vec![]),
            "no scope named"
        );
    }

    #[test]
    fn repeated_challenges_keep_the_count_and_new_scopes_reset_it() {
        let first = record(None, strings(&["a"]));
        let tried = StepUp { attempts: 2, ..first };
        assert_eq!(record(Some(&tried), strings(&["a"])).attempts, 2, "the same scopes: the count stays");
        let wider = record(Some(&tried), strings(&["b"]));
        assert_eq!(wider.scopes, strings(&["a", "b"]), "new scopes join the old ones");
        assert_eq!(wider.attempts, 0, "new scopes start counting again");
    }

    #[test]
    fn union_keeps_order_and_drops_duplicates() {
        assert_eq!(union(&strings(&["a", "b"]), &strings(&["b", "c"])), strings(&["a", "b", "c"]), "union");
    }
}
