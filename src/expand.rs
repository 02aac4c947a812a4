//! `${VAR}` and `${VAR:-default}` expansion, done at connect time and never at save time, so the
//! profile file keeps the reference and a changed environment takes effect on the next connect.
//! It is a string rule with no knowledge of profiles, on the ground floor, so that the network
//! settings (a source's `ca_bundle`) and the launch of a program expand the same way.
//!
//! `$${` writes a literal `${`. A `$` not followed by `{` is left alone, so ordinary values such
//! as `a$b` need no escaping.

/// Why a value could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExpandError {
    #[error("environment variable `{var}` is not set; set it, or give a default with `${{{var}:-default}}`")]
    Unset { var: String },
    #[error("`${{` without a closing `}}`; write `$${{` for a literal `${{`")]
    Unclosed,
    #[error("`${{{name}}}` is not a variable name; use letters, digits and `_`")]
    BadName { name: String },
}

/// Expands `input` using `lookup` for variables (`std::env::var` in the engine).
pub fn expand(input: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, ExpandError> {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(escaped) = after.strip_prefix("${") {
            out.push_str("${");
            rest = escaped;
        } else if let Some(body) = after.strip_prefix('{') {
            let end = body.find('}').ok_or(ExpandError::Unclosed)?;
            let (name, default) = match body[..end].split_once(":-") {
                Some((name, default)) => (name, Some(default)),
                None => (&body[..end], None),
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(ExpandError::BadName { name: name.to_owned() });
            }
            match (lookup(name).filter(|value| !value.is_empty() || default.is_none()), default) {
                (Some(value), _) => out.push_str(&value),
                (None, Some(default)) => out.push_str(default),
                (None, None) => return Err(ExpandError::Unset { var: name.to_owned() }),
            }
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The variables `input` refers to, for validation before connecting.
pub fn variables(input: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = input;
    while let Some(at) = rest.find("${") {
        if at > 0 && rest.as_bytes()[at - 1] == b'$' {
            rest = &rest[at + 2..];
            continue;
        }
        let body = &rest[at + 2..];
        let Some(end) = body.find('}') else { break };
        let name = body[..end].split(":-").next().unwrap_or_default();
        names.push(name.to_owned());
        rest = &body[end + 1..];
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "TOKEN" => Some("t0k".to_owned()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn plain_text_is_unchanged() {
        assert_eq!(expand("no vars, a$b, $", env).unwrap(), "no vars, a$b, $");
    }

    #[test]
    fn set_variable_is_substituted() {
        assert_eq!(expand("Bearer ${TOKEN}!", env).unwrap(), "Bearer t0k!");
    }

    #[test]
    fn default_applies_when_unset_or_empty() {
        assert_eq!(expand("${NOPE:-fallback}", env).unwrap(), "fallback");
        assert_eq!(expand("${EMPTY:-fallback}", env).unwrap(), "fallback", ":- also covers empty, as in sh");
        assert_eq!(expand("${TOKEN:-fallback}", env).unwrap(), "t0k");
        assert_eq!(expand("${NOPE:-}", env).unwrap(), "", "an empty default is allowed");
    }

    #[test]
    fn empty_variable_without_default_expands_to_empty() {
        assert_eq!(expand("x${EMPTY}y", env).unwrap(), "xy");
    }

    #[test]
    fn unset_variable_without_default_names_it() {
        let err = expand("Bearer ${GITHUB_TOKEN}", env).unwrap_err();
        assert_eq!(err, ExpandError::Unset { var: "GITHUB_TOKEN".to_owned() });
        assert!(err.to_string().contains("GITHUB_TOKEN"), "message must name the variable: {err}");
    }

    #[test]
    fn escape_writes_literal() {
        assert_eq!(expand("$${TOKEN} ${TOKEN}", env).unwrap(), "${TOKEN} t0k");
    }

    #[test]
    fn malformed_references_are_errors() {
        assert_eq!(expand("${TOKEN", env).unwrap_err(), ExpandError::Unclosed);
        assert!(matches!(expand("${}", env).unwrap_err(), ExpandError::BadName { .. }));
        assert!(matches!(expand("${A B}", env).unwrap_err(), ExpandError::BadName { .. }));
    }

    #[test]
    fn variables_lists_references_but_not_escapes() {
        assert_eq!(variables("${A} $${B} ${C:-x}"), vec!["A", "C"]);
    }
}
