//! The tool editor's shapes: each upstream tool with its place in the source's filter (out), and
//! the person's choices (in). Only names and descriptions cross; a tool's schema stays behind.

use lanyard::filter::ToolChoice;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::TS_DIR;

/// One tool as the server lists it, and what the source's filter does with it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub struct ToolChoiceView {
    /// The upstream name.
    pub name: String,
    /// The server's own description.
    pub upstream_description: Option<String>,
    /// Whether agents see it (include/exclude).
    pub exposed: bool,
    /// The name agents see instead, when set.
    pub alias: Option<String>,
    /// The description agents see instead, when set.
    pub description: Option<String>,
}

impl ToolChoiceView {
    pub fn new(upstream_description: Option<&str>, choice: ToolChoice) -> Self {
        Self {
            name: choice.name,
            upstream_description: upstream_description.map(str::to_owned),
            exposed: choice.exposed,
            alias: choice.alias,
            description: choice.description,
        }
    }
}

/// The person's choice for one upstream tool.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export, export_to = TS_DIR)]
pub struct ToolChoiceInput {
    pub name: String,
    pub exposed: bool,
    /// Blank or `null`: no alias.
    pub alias: Option<String>,
    /// Blank or `null`: the server's own description.
    pub description: Option<String>,
}

impl From<ToolChoiceInput> for ToolChoice {
    fn from(input: ToolChoiceInput) -> Self {
        Self { name: input.name, exposed: input.exposed, alias: input.alias, description: input.description }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_choice_reaches_the_ui_in_camel_case_and_comes_back_as_the_engines() {
        let choice =
            ToolChoice { name: "echo".into(), exposed: true, alias: Some("say".into()), description: None };
        let json = serde_json::to_value(ToolChoiceView::new(Some("Echoes"), choice)).unwrap();
        assert_eq!(json["upstreamDescription"], "Echoes", "the server's text, for the editor: {json}");
        assert_eq!(json["alias"], "say", "the alias in use: {json}");

        let input: ToolChoiceInput = serde_json::from_value(
            serde_json::json!({"name": "rm", "exposed": false, "alias": null, "description": "x"}),
        )
        .unwrap();
        let choice = ToolChoice::from(input);
        assert!(!choice.exposed && choice.description.as_deref() == Some("x"), "{choice:?}");
        let unknown = serde_json::from_value::<ToolChoiceInput>(
            serde_json::json!({"name": "rm", "exposed": false, "alias": null, "description": null, "schema": {}}),
        );
        assert!(unknown.is_err(), "unknown fields are refused, not ignored");
    }
}
