//! Reading a `WWW-Authenticate` header (RFC 9110 11.6.1, RFC 6750 3, RFC 9728 5.1).
//!
//! Separate from discovery because it is pure parsing that servers get subtly wrong: several
//! challenges in one header (`DPoP ..., Bearer ...`), unquoted values, odd spacing and case,
//! escaped quotes, token68 blobs. Only the `Bearer` challenge's `resource_metadata`, `scope`,
//! `error` and `error_description` matter to Lanyard (or a `DPoP` challenge's, from a server
//! that offers no `Bearer` one), and whether `DPoP` is offered; everything else is skipped, and a header
//! that does not parse gives an empty answer rather than an error (discovery then falls back to
//! the well-known URLs).

/// What a `Bearer` challenge (or, from a server that takes only DPoP-bound tokens, a `DPoP`
/// challenge) asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BearerChallenge {
    /// RFC 9728: where the protected resource metadata is.
    pub resource_metadata: Option<String>,
    /// The scopes the server wants (space-separated in the header).
    pub scope: Option<Vec<String>>,
    /// RFC 6750 error code: `invalid_token`, `insufficient_scope`, ...
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// The server also (or only) offered the `DPoP` scheme (RFC 9449 7.1): it takes
    /// DPoP-bound tokens.
    pub dpop: bool,
}

/// The first `Bearer` challenge in the header values, else the first `DPoP` one, if any.
pub fn bearer<'a>(headers: impl IntoIterator<Item = &'a str>) -> Option<BearerChallenge> {
    let all: Vec<Challenge> = headers.into_iter().flat_map(parse).collect();
    let is = |c: &Challenge, scheme: &str| c.scheme.eq_ignore_ascii_case(scheme);
    let dpop = all.iter().any(|c| is(c, "dpop"));
    let chosen = all.iter().find(|c| is(c, "bearer")).or_else(|| all.iter().find(|c| is(c, "dpop")));
    chosen.map(|c| {
        let param = |name: &str| {
            c.params.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.clone())
        };
        BearerChallenge {
            resource_metadata: param("resource_metadata"),
            scope: param("scope")
                .map(|scope| scope.split_ascii_whitespace().map(str::to_owned).collect::<Vec<_>>())
                .filter(|scopes| !scopes.is_empty()),
            error: param("error"),
            error_description: param("error_description"),
            dpop,
        }
    })
}

/// One challenge: a scheme and its parameters (names as sent, values unquoted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: String,
    pub params: Vec<(String, String)>,
}

/// Every challenge in one header value.
pub fn parse(header: &str) -> Vec<Challenge> {
    let mut lexer = Lexer { rest: header };
    let mut challenges: Vec<Challenge> = Vec::new();
    loop {
        lexer.skip_separators();
        let Some(word) = lexer.token() else {
            // Garbage: skip one character and go on.
            if lexer.rest.is_empty() {
                return challenges;
            }
            lexer.bump();
            continue;
        };
        lexer.skip_spaces();
        if lexer.peek() == Some('=') {
            // `name=value` belongs to the current challenge. A token68 ends with '=' too, but it
            // is followed by a separator or the end, not by a value.
            let after = &lexer.rest[1..];
            let next = after.trim_start_matches([' ', '\t', '=']).chars().next();
            if next.is_none() || next == Some(',') {
                // token68 (e.g. `Basic abc==`): skip it.
                lexer.rest = after.trim_start_matches('=');
                continue;
            }
            lexer.bump();
            lexer.skip_spaces();
            let value = if lexer.peek() == Some('"') {
                lexer.quoted()
            } else {
                lexer.token().unwrap_or_default().to_owned()
            };
            if let Some(current) = challenges.last_mut() {
                current.params.push((word.to_owned(), value));
            }
        } else {
            challenges.push(Challenge { scheme: word.to_owned(), params: Vec::new() });
        }
    }
}

struct Lexer<'a> {
    rest: &'a str,
}

impl<'a> Lexer<'a> {
    fn peek(&self) -> Option<char> {
        self.rest.chars().next()
    }

    fn bump(&mut self) {
        let mut chars = self.rest.chars();
        chars.next();
        self.rest = chars.as_str();
    }

    fn skip_spaces(&mut self) {
        self.rest = self.rest.trim_start_matches([' ', '\t']);
    }

    fn skip_separators(&mut self) {
        self.rest = self.rest.trim_start_matches([' ', '\t', ',']);
    }

    /// An RFC 9110 token (plus `/` and `:`, which some servers leave unquoted in URLs).
    fn token(&mut self) -> Option<&'a str> {
        let is_tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~/:?@;[]".contains(c);
        let end = self.rest.find(|c: char| !is_tchar(c)).unwrap_or(self.rest.len());
        if end == 0 {
            return None;
        }
        let (word, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(word)
    }

    /// A quoted string, starting at its opening quote; backslash escapes one character. An
    /// unterminated string runs to the end.
    fn quoted(&mut self) -> String {
        self.bump();
        let mut value = String::new();
        let mut chars = self.rest.char_indices();
        while let Some((at, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        value.push(escaped);
                    }
                }
                '"' => {
                    self.rest = &self.rest[at + 1..];
                    return value;
                }
                other => value.push(other),
            }
        }
        self.rest = "";
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_mcp_challenge() {
        let got = bearer([
            r#"Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="mcp:read mcp:write""#,
        ])
        .expect("a Bearer challenge");
        assert_eq!(
            got.resource_metadata.as_deref(),
            Some("https://mcp.example.com/.well-known/oauth-protected-resource/mcp"),
            "the metadata URL"
        );
        assert_eq!(
            got.scope,
            Some(vec!["mcp:read".to_owned(), "mcp:write".to_owned()]),
            "scopes split on spaces"
        );
        assert_eq!(got.error, None, "no error without credentials");
    }

    #[test]
    fn finds_bearer_among_several_challenges() {
        let got = bearer([
            r#"DPoP algs="ES256 PS256", Basic realm="x", bearer error="insufficient_scope", scope=admin"#,
        ])
        .expect("the Bearer challenge after others");
        assert_eq!(got.error.as_deref(), Some("insufficient_scope"), "error of the Bearer challenge");
        assert_eq!(got.scope, Some(vec!["admin".to_owned()]), "an unquoted value");
        assert_eq!(got.resource_metadata, None, "DPoP's params are not Bearer's");
        assert!(got.dpop, "the server takes DPoP-bound tokens too");
    }

    #[test]
    fn a_dpop_only_challenge_counts() {
        let got =
            bearer([r#"DPoP resource_metadata="https://a.example/.well-known/oauth-protected-resource""#])
                .expect("a DPoP challenge stands in for Bearer");
        assert!(got.dpop, "DPoP-bound tokens wanted");
        assert_eq!(
            got.resource_metadata.as_deref(),
            Some("https://a.example/.well-known/oauth-protected-resource")
        );
        assert!(!bearer(["Bearer realm=\"x\""]).unwrap().dpop, "Bearer alone wants no DPoP");
    }

    #[test]
    fn survives_odd_spacing_escapes_and_token68() {
        let got = bearer([
            r#"Negotiate abc123==,  Bearer   realm = "a \"quoted\" realm" ,error_description="x, y",resource_metadata=https://a.example/.well-known/oauth-protected-resource"#,
        ])
        .expect("Bearer after a token68 challenge");
        assert_eq!(got.error_description.as_deref(), Some("x, y"), "commas inside quotes stay");
        assert_eq!(
            got.resource_metadata.as_deref(),
            Some("https://a.example/.well-known/oauth-protected-resource"),
            "an unquoted URL"
        );
        let all = parse(r#"Bearer realm = "a \"quoted\" realm""#);
        assert_eq!(all[0].params[0].1, r#"a "quoted" realm"#, "escaped quotes are unescaped");
    }

    #[test]
    fn garbage_gives_nothing_rather_than_an_error() {
        assert_eq!(bearer(["Basic realm=\"x\""]), None, "no Bearer challenge");
        assert_eq!(bearer(["\"\"\"===,,,"]), None, "nonsense");
        let bare = bearer(["Bearer"]).expect("a bare Bearer challenge counts");
        assert_eq!(bare, BearerChallenge::default(), "with no params");
        let open = bearer([r#"Bearer scope="a b"#]).expect("an unterminated quote");
        assert_eq!(open.scope, Some(vec!["a".to_owned(), "b".to_owned()]), "runs to the end");
    }
}
