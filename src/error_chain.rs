//! The kind of an engine error found inside an error chain built by a caller (`anyhow` in the CLI).
//!
//! This is the one place that knows every module's error type, so it sits on the top floor, apart
//! from [`ErrorKind`] itself, which every module names and which must therefore import nothing.
//! Callers walk their chain with [`kind_of`] and take the first kind found.

use std::error::Error as StdError;

use crate::ErrorKind;
use crate::bridge::BridgeError;
use crate::catalog::CatalogError;
use crate::net::NetError;
use crate::oauth::OAuthError;
use crate::profile::{ImportError, ProfileError, ResolveError};
use crate::upstream::UpstreamError;
use crate::vault::VaultError;

/// The kind of `err` itself (not of its sources) when it is one of the engine's errors.
/// Walk an error chain with this to find the first error that knows its kind.
pub fn kind_of(err: &(dyn StdError + 'static)) -> Option<ErrorKind> {
    if let Some(err) = err.downcast_ref::<crate::Error>() {
        Some(err.kind())
    } else if let Some(err) = err.downcast_ref::<OAuthError>() {
        Some(err.kind())
    } else if let Some(err) = err.downcast_ref::<UpstreamError>() {
        Some(err.kind())
    } else if let Some(err) = err.downcast_ref::<VaultError>() {
        Some(err.kind())
    } else if let Some(err) = err.downcast_ref::<ProfileError>() {
        Some(err.kind())
    } else if let Some(err) = err.downcast_ref::<ResolveError>() {
        Some(err.kind())
    } else if let Some(err) = err.downcast_ref::<ImportError>() {
        Some(err.kind())
    } else if let Some(err) = err.downcast_ref::<CatalogError>() {
        Some(err.kind())
    } else if let Some(err) = err.downcast_ref::<NetError>() {
        Some(err.kind())
    } else {
        err.downcast_ref::<BridgeError>().map(BridgeError::kind)
    }
}
