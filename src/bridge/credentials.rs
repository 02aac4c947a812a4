//! Where the bridge gets the credentials for one request to an HTTP upstream.
//!
//! [`Credentials::headers`] is called once per request, on purpose: today it hands out the
//! profile's headers (from the vault, resolved once); sign-in will make it return a fresh OAuth
//! access token (refreshed when close to expiry) without any caller changing. The agent's own
//! `Authorization` never reaches an upstream: callers drop it before adding these.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::BridgeError;
use crate::profile::SourceId;
use crate::secret::Secret;
use crate::upstream::UpstreamError;

/// The credentials of one source, as HTTP headers.
#[derive(Debug)]
pub(crate) struct Credentials {
    id: SourceId,
    headers: HeaderMap,
}

impl Credentials {
    /// The profile's headers, checked once here so that a bad one is a configuration error.
    pub fn from_headers(id: &SourceId, headers: &[(String, Secret)]) -> Result<Self, UpstreamError> {
        let mut map = HeaderMap::with_capacity(headers.len());
        for (name, value) in headers {
            let invalid = || UpstreamError::InvalidHeader { id: id.clone(), name: name.clone() };
            let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
            // The value leaves its wrapper here, into a header marked sensitive.
            let mut header_value = HeaderValue::from_str(value.expose()).map_err(|_| invalid())?;
            header_value.set_sensitive(true);
            map.append(header_name, header_value);
        }
        Ok(Self { id: id.clone(), headers: map })
    }

    /// No credentials (a stdio source gets its secrets in its environment instead).
    pub fn none(id: &SourceId) -> Self {
        Self { id: id.clone(), headers: HeaderMap::new() }
    }

    /// The headers to add to the next request to this source's upstream.
    pub async fn headers(&self) -> Result<HeaderMap, BridgeError> {
        // The OAuth token manager plugs in here (fresh token, refresh within a margin).
        let _ = &self.id;
        Ok(self.headers.clone())
    }
}
