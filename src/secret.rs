//! The one type every credential travels in.
//!
//! A [`Secret`] prints `[redacted]` under `Debug`, has no `Display` and no `Serialize`, and zeroes
//! its memory on drop. A struct that holds one therefore cannot leak it through a log line, an
//! error message or a JSON payload by accident. Reading the value takes an explicit
//! [`Secret::expose`], so `grep expose` lists every place a secret leaves this type.

use std::fmt;

use zeroize::Zeroizing;

/// A secret string: a token, a client secret, an API key, a header value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(Zeroizing::new(value.into()))
    }

    /// The secret's value. Every call site is a place where the secret leaves its wrapper:
    /// keep them few, and never pass the result to a log, an error or a serializer.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("hunter2-planted");
        let shown = format!("{secret:?} {:?}", Some(&secret));
        assert!(!shown.contains("hunter2"), "Debug leaked the secret: {shown}");
        assert_eq!(shown, "[redacted] Some([redacted])");
    }

    #[test]
    fn expose_returns_the_value() {
        assert_eq!(Secret::new("abc").expose(), "abc", "expose must give back what went in");
    }
}
