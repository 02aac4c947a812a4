//! The tool editor's shapes: each upstream tool with its place in the source's filter (out), and
//! the person's choices (in). Only names and descriptions cross; a tool's schema stays behind.
//! And trying a tool: its result as a person reads it (out), and the person's answer when the
//! server asks them something during the call (in).

use lanyard::filter::ToolChoice;
use lanyard::upstream::PersonAnswer;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
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

/// A tried tool's result, as the engine words it for a person.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub struct ToolResultView {
    /// The tool said it failed (its own error, not a failed call).
    pub is_error: bool,
    pub text: String,
}

/// What the person chose in the window's dialog for a server's question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub enum ElicitActionInput {
    Accept,
    Decline,
    Cancel,
}

/// The person's answer: `content` (the form's values) counts only with `accept`.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export, export_to = TS_DIR)]
pub struct ElicitAnswerInput {
    pub action: ElicitActionInput,
    #[ts(type = "Record<string, unknown> | null")]
    pub content: Option<Map<String, Value>>,
}

impl From<ElicitAnswerInput> for PersonAnswer {
    fn from(input: ElicitAnswerInput) -> Self {
        match input.action {
            ElicitActionInput::Accept => Self::Accept(input.content.unwrap_or_default()),
            ElicitActionInput::Decline => Self::Decline,
            ElicitActionInput::Cancel => Self::Cancel,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_keeps_its_values_only_when_accepted() {
        let answer =
            |json: Value| PersonAnswer::from(serde_json::from_value::<ElicitAnswerInput>(json).unwrap());
        let values = serde_json::json!({ "name": "Ada", "age": 36, "verified": true });
        assert_eq!(
            answer(serde_json::json!({ "action": "accept", "content": values })),
            PersonAnswer::Accept(values.as_object().unwrap().clone())
        );
        assert_eq!(
            answer(serde_json::json!({ "action": "decline", "content": values })),
            PersonAnswer::Decline
        );
        assert_eq!(answer(serde_json::json!({ "action": "cancel", "content": null })), PersonAnswer::Cancel);
        assert!(
            serde_json::from_value::<ElicitAnswerInput>(serde_json::json!({ "action": "maybe" })).is_err(),
            "an action the protocol does not know is refused"
        );
    }

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
