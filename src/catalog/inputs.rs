//! The values an add needs from the person, and how their answers fill the command line, the
//! environment, the URL and the headers.
//!
//! A registry describes each value as an input (required or not, secret or not, a default, a
//! list of choices), possibly as a template whose `{variables}` are inputs of their own
//! (`Bearer {token}`, `type=bind,src={source}`). Each becomes a [`Question`] with a stable key;
//! a front end asks the questions, and [`Template::render`] fills in the answers. An optional
//! value with no answer and no default leaves its argument, variable or header out.

use std::collections::BTreeMap;

use serde::Serialize;

use super::error::CatalogError;
use super::model::Input;
use crate::secret::Secret;

/// One value the person may give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Question {
    /// Stable within a plan: `env:API_KEY`, `header:X-Api-Key`, `arg:--port`, `url:tenant`, and
    /// `<key>/<variable>` for a variable of a template.
    pub key: String,
    /// What it is, for a person: "environment variable API_KEY".
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub required: bool,
    /// Goes to the keychain, never to the profile file or the command line.
    pub secret: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
}

impl Question {
    fn of(key: String, label: String, input: &Input) -> Self {
        Self {
            key,
            label,
            description: input.description.clone(),
            required: input.is_required,
            secret: input.is_secret,
            default: input.default.clone(),
            choices: input.choices.clone(),
            placeholder: input.placeholder.clone(),
        }
    }

    /// Whether a front end must ask: required, and no default to fall back on.
    pub fn must_ask(&self) -> bool {
        self.required && self.default.is_none()
    }
}

/// The person's answers, by question key. Every value is held as a [`Secret`] until it is known
/// where it goes.
#[derive(Debug, Default)]
pub struct Answers(BTreeMap<String, Secret>);

impl Answers {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(&mut self, key: impl Into<String>, value: Secret) {
        self.0.insert(key.into(), value);
    }

    pub fn get(&self, key: &str) -> Option<&Secret> {
        self.0.get(key)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }
}

/// One piece of a value: literal text, or the answer to a question.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Answer(String),
}

/// A value made of text and answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

/// A rendered value, and whether any of it came from a secret answer.
#[derive(Debug)]
pub struct Rendered {
    pub value: Secret,
    pub secret: bool,
}

impl Template {
    pub fn text(text: impl Into<String>) -> Self {
        Self { parts: vec![Part::Text(text.into())] }
    }

    /// The template for an input: its fixed `value` with its `{variables}` as questions, or
    /// the input itself as one question. The questions are added to `questions`.
    pub fn of_input(key: &str, label: &str, input: &Input, questions: &mut Vec<Question>) -> Self {
        let Some(value) = &input.value else {
            questions.push(Question::of(key.to_owned(), label.to_owned(), input));
            return Self { parts: vec![Part::Answer(key.to_owned())] };
        };
        let mut parts = Vec::new();
        let mut rest = value.as_str();
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}').map(|i| open + i) else { break };
            let name = &rest[open + 1..close];
            match input.variables.get(name) {
                Some(variable) => {
                    if open > 0 {
                        parts.push(Part::Text(rest[..open].to_owned()));
                    }
                    let variable_key = format!("{key}/{name}");
                    if !questions.iter().any(|q| q.key == variable_key) {
                        let mut question =
                            Question::of(variable_key.clone(), format!("{label}, {{{name}}}"), variable);
                        // A secret input makes each of its variables secret.
                        question.secret |= input.is_secret;
                        questions.push(question);
                    }
                    parts.push(Part::Answer(variable_key));
                }
                // An unknown `{name}` stays as it is, as the schema says.
                None => parts.push(Part::Text(rest[..=close].to_owned())),
            }
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Self { parts }
    }

    /// The value with the answers (or their defaults) filled in; `None` when an answer it needs
    /// is missing and optional, so that the value is left out. A missing required answer is an
    /// error, as is an answer that is not one of its question's choices.
    pub fn render(
        &self,
        questions: &[Question],
        answers: &Answers,
    ) -> Result<Option<Rendered>, CatalogError> {
        let mut value = String::new();
        let mut secret = false;
        for part in &self.parts {
            match part {
                Part::Text(text) => value.push_str(text),
                Part::Answer(key) => {
                    let question = questions.iter().find(|q| &q.key == key);
                    let given = answers.get(key).map(|s| s.expose().to_owned()).filter(|s| !s.is_empty());
                    let answer = given.or_else(|| question.and_then(|q| q.default.clone()));
                    let Some(answer) = answer else {
                        return match question {
                            Some(q) if q.required => {
                                Err(CatalogError::MissingInput { label: q.label.clone() })
                            }
                            _ => Ok(None),
                        };
                    };
                    if let Some(q) = question {
                        if !q.choices.is_empty() && !q.choices.contains(&answer) {
                            return Err(CatalogError::NotAChoice {
                                label: q.label.clone(),
                                given: if q.secret { "(the value given)".into() } else { answer },
                                choices: q.choices.clone(),
                            });
                        }
                        secret |= q.secret;
                    }
                    value.push_str(&answer);
                }
            }
        }
        Ok(Some(Rendered { value: Secret::new(value), secret }))
    }

    /// The value for a person, before any answer: `--port <port>`-style placeholders for what
    /// is asked.
    pub fn preview(&self, questions: &[Question]) -> String {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Text(text) => text.clone(),
                Part::Answer(key) => {
                    let question = questions.iter().find(|q| &q.key == key);
                    match question {
                        Some(q) if q.secret => "<secret>".to_owned(),
                        Some(q) => match &q.default {
                            Some(default) => default.clone(),
                            None => format!("<{}>", key.rsplit([':', '/']).next().unwrap_or(key)),
                        },
                        None => format!("<{key}>"),
                    }
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: serde_json::Value) -> Input {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_template_asks_for_its_variables_and_fills_them_in() {
        let mut questions = Vec::new();
        let auth = input(serde_json::json!({
            "value": "Bearer {token}", "isSecret": true,
            "variables": {"token": {"isRequired": true, "description": "API token"}}
        }));
        let template =
            Template::of_input("header:Authorization", "header Authorization", &auth, &mut questions);
        assert_eq!(questions.len(), 1);
        assert!(questions[0].secret && questions[0].must_ask(), "{questions:?}");
        assert_eq!(template.preview(&questions), "Bearer <secret>");

        let mut answers = Answers::new();
        let missing = template.render(&questions, &answers);
        assert!(matches!(missing, Err(CatalogError::MissingInput { .. })), "{missing:?}");
        answers.set("header:Authorization/token", Secret::new("t0k"));
        let rendered = template.render(&questions, &answers).unwrap().unwrap();
        assert_eq!(rendered.value.expose(), "Bearer t0k");
        assert!(rendered.secret);
    }

    #[test]
    fn optional_values_without_an_answer_are_left_out_and_defaults_fill_in() {
        let mut questions = Vec::new();
        let level = Template::of_input(
            "env:LEVEL",
            "LEVEL",
            &input(serde_json::json!({"default": "info"})),
            &mut questions,
        );
        let extra = Template::of_input("env:EXTRA", "EXTRA", &input(serde_json::json!({})), &mut questions);
        let answers = Answers::new();
        assert_eq!(level.render(&questions, &answers).unwrap().unwrap().value.expose(), "info");
        assert!(extra.render(&questions, &answers).unwrap().is_none());
    }

    #[test]
    fn an_answer_outside_the_choices_is_refused() {
        let mut questions = Vec::new();
        let mode = input(serde_json::json!({"isRequired": true, "choices": ["a", "b"]}));
        let template = Template::of_input("arg:--mode", "--mode", &mode, &mut questions);
        let mut answers = Answers::new();
        answers.set("arg:--mode", Secret::new("c"));
        assert!(matches!(template.render(&questions, &answers), Err(CatalogError::NotAChoice { .. })));
    }
}
