//! The sources' overall health, as the window tells the tray icon: the worst of their states.

use serde::Deserialize;
use ts_rs::TS;

use super::TS_DIR;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub enum HealthView {
    /// Every enabled source is ready or connected (or there are none).
    AllGood,
    /// A source waits for a (new) sign-in or more scope.
    NeedsSignIn,
    /// A source is in error: a failed Test, a missing secret, unreadable tokens.
    Error,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_crosses_by_its_camel_case_name() {
        let health: HealthView = serde_json::from_value(serde_json::json!("needsSignIn")).unwrap();
        assert_eq!(health, HealthView::NeedsSignIn, "the UI's name maps to the tray's health");
    }
}
