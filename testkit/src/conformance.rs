//! `lanyard-test-server conformance`: the server the official MCP conformance suite's server
//! scenarios run against, directly and behind `lanyard serve`.
//!
//! The scenarios call fixed names (`test_simple_text`, `test://static-text`,
//! `test_prompt_with_arguments`, …) and check fixed answers, so this server offers exactly those,
//! written from the scenario descriptions. It is a separate mode of the test kit, not part of the
//! small server the integration tests use, because its names and its misbehaving-on-purpose
//! tools (an error result, a server that asks the client for input) would get in the way there.
//! Comparing the suite's score against it directly with the score through the bridge makes every
//! difference the bridge's.
//!
//! Answers are written as JSON, the way the scenarios describe them, and read into rmcp's types:
//! the wire shape is the point here, and JSON says it most plainly.
//!
//! The multi-round-trip tools (`test_input_required_result_*`, protocol 2026-07-28) keep their
//! state on the server and hand the client only an opaque handle as `requestState`: a handle this
//! process did not issue, or issued for another tool, is refused, which is the integrity check
//! the tampered-state scenario asks for without any key to manage.
//!
//! The tools that ask the client during a call (`test_sampling`, `test_elicitation*`) send it a
//! request in a session of an earlier revision and answer `input_required` in a 2026-07-28
//! request, which cannot be sent requests, as that revision has servers do.
//!
//! With `--only-2026-07-28` it is a server of that revision alone, the kind that never had the
//! `initialize` handshake: it names only 2026-07-28 as supported, so `server/discover` offers
//! that one and rmcp's own negotiation refuses `initialize` with `-32000 Unsupported protocol
//! version` (the error a client's fallback must not paper over). Everything else is unchanged.

// Logging, sampling, roots and resource subscriptions are deprecated in the newest revision
// (SEP-2577) and still required by the older ones the suite runs.
#![allow(deprecated)]

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ClientResult, CompleteRequestParams,
    CompleteResult, ErrorCode, GetPromptRequestParams, GetPromptResponse, GetPromptResult,
    InitializeRequestParams, InitializeResult, InputRequests, InputRequiredResult, InputResponses,
    ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ProtocolVersion, ReadResourceRequestParams, ReadResourceResponse,
    ReadResourceResult, ServerCapabilities, ServerConfig, ServerNotification, ServerRequest,
    SetLevelRequestParams, SubscribeRequestParams, SubscriptionFilter, Tool, UnsubscribeRequestParams,
};
use rmcp::service::{RequestContext, SubscriptionContext};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::sync::broadcast;

use crate::request_log::RequestLog;

/// A 1×1 red PNG.
const PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
/// A WAV file with a header and no samples.
const WAV: &str = "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA=";
/// How long a listing or a read may be cached, as the 2026-07-28 caching hints say.
const TTL_MS: u64 = 60_000;

/// Which round a `requestState` handle stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Round {
    RequestState,
    MultipleInputs,
    MultiRoundFirst,
    MultiRoundSecond,
    Tampered,
}

/// The `requestState` handles this process issued, over every session and request.
#[derive(Debug, Default)]
struct IssuedStates {
    next: AtomicU64,
    rounds: Mutex<HashMap<String, Round>>,
}

impl IssuedStates {
    fn issue(&self, round: Round) -> String {
        let handle = format!("state-{}", self.next.fetch_add(1, Ordering::Relaxed));
        if let Ok(mut rounds) = self.rounds.lock() {
            rounds.insert(handle.clone(), round);
        }
        handle
    }

    /// Takes a handle back: each is good for one retry.
    fn redeem(&self, handle: Option<&str>, round: Round) -> Result<(), ErrorData> {
        let taken = handle.and_then(|handle| self.rounds.lock().ok()?.remove(handle));
        match taken {
            Some(issued) if issued == round => Ok(()),
            _ => Err(ErrorData::invalid_params(
                "requestState was not issued by this server for this request",
                None,
            )),
        }
    }
}

/// A change to a list, announced to every open `subscriptions/listen` stream.
#[derive(Debug, Clone, Copy)]
enum ListChange {
    Tools,
    Prompts,
}

/// The protocol revisions the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revisions {
    /// Every revision rmcp knows, with and without `initialize`.
    All,
    /// 2026-07-28 alone: `server/discover` and per-request metadata, no `initialize`.
    Only2026,
}

/// One server for every session and request: a stateless (2026-07-28) request gets a fresh
/// handler, so what outlives a request (issued states, listeners) is shared here.
#[derive(Debug, Clone)]
pub struct ConformanceServer {
    states: Arc<IssuedStates>,
    changes: broadcast::Sender<ListChange>,
    revisions: Revisions,
    log: Option<Arc<RequestLog>>,
}

impl ConformanceServer {
    pub fn new(revisions: Revisions, log: Option<Arc<RequestLog>>) -> Self {
        Self { states: Arc::default(), changes: broadcast::channel(16).0, revisions, log }
    }
}

/// The key of the one input request of a tool that asks the client mid-call (`test_sampling`,
/// `test_elicitation*`) in a 2026-07-28 request.
const ASKED: &str = "asked";

/// The capabilities a 2026-07-28 request declares in its `_meta`, as JSON.
fn declared_capabilities(context: &RequestContext<RoleServer>) -> Value {
    context.meta.client_capabilities().and_then(|caps| serde_json::to_value(caps).ok()).unwrap_or_default()
}

/// Reads a JSON answer into the rmcp type the handler returns.
fn typed<T: DeserializeOwned>(value: Value) -> Result<T, ErrorData> {
    serde_json::from_value(value)
        .map_err(|err| ErrorData::internal_error(format!("malformed answer: {err}"), None))
}

/// A complete result as JSON: 2026-07-28 wants `resultType` on every result, and rmcp's
/// constructors set it, so the results written as JSON here set it too.
fn complete<T: DeserializeOwned>(mut value: Value) -> Result<T, ErrorData> {
    if let Some(object) = value.as_object_mut() {
        object.insert("resultType".to_owned(), json!("complete"));
    }
    typed(value)
}

fn text_result(text: impl Into<String>) -> Result<CallToolResponse, ErrorData> {
    Ok(CallToolResult::success(vec![rmcp::model::ContentBlock::text(text.into())]).into())
}

fn no_arguments() -> Value {
    json!({ "type": "object", "properties": {} })
}

fn string_argument(name: &str, description: &str) -> Value {
    json!({
        "type": "object",
        "properties": { name: { "type": "string", "description": description } },
        "required": [name],
    })
}

/// Every tool, in a fixed order (2026-07-28 asks for a deterministic listing).
fn tool_list() -> Vec<Value> {
    let plain = |name: &str, description: &str| json!({ "name": name, "description": description, "inputSchema": no_arguments() });
    vec![
        plain("test_simple_text", "Returns one text block"),
        plain("test_image_content", "Returns a PNG image"),
        plain("test_audio_content", "Returns a WAV sound"),
        plain("test_embedded_resource", "Returns an embedded text resource"),
        plain("test_multiple_content_types", "Returns text, an image and a resource"),
        plain("test_tool_with_logging", "Sends three log messages while it runs"),
        plain("test_error_handling", "Always reports a tool error"),
        plain("test_tool_with_progress", "Reports progress 0, 50 and 100 of 100"),
        json!({
            "name": "test_sampling",
            "description": "Asks the client's model to answer the prompt",
            "inputSchema": string_argument("prompt", "The prompt for the model"),
        }),
        json!({
            "name": "test_elicitation",
            "description": "Asks the user for a name and an email address",
            "inputSchema": string_argument("message", "The message shown to the user"),
        }),
        plain("test_elicitation_sep1034_defaults", "Asks for five fields that all have defaults"),
        plain("test_elicitation_sep1330_enums", "Asks for every kind of enum field"),
        plain("test_reconnection", "Answers after a short pause"),
        json!({
            "name": "json_schema_2020_12_tool",
            "description": "Tool with JSON Schema 2020-12 features",
            "inputSchema": {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "$defs": {
                    "address": {
                        "$anchor": "addressDef",
                        "type": "object",
                        "properties": { "street": { "type": "string" }, "city": { "type": "string" } },
                    },
                },
                "properties": {
                    "name": { "type": "string" },
                    "address": { "$ref": "#/$defs/address" },
                    "contactMethod": { "type": "string", "enum": ["phone", "email"] },
                    "phone": { "type": "string" },
                    "email": { "type": "string" },
                },
                "allOf": [{ "anyOf": [{ "required": ["phone"] }, { "required": ["email"] }] }],
                "if": { "properties": { "contactMethod": { "const": "phone" } }, "required": ["contactMethod"] },
                "then": { "required": ["phone"] },
                "else": { "required": ["email"] },
                "additionalProperties": false,
            },
        }),
        json!({
            "name": "test_custom_headers",
            "description": "Echoes a region that also travels in the Mcp-Param-Region header",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "region": { "type": "string", "description": "Where to run", "x-mcp-header": "Region" },
                },
                "required": ["region"],
            },
        }),
        plain("test_input_required_result_elicitation", "Asks for a name over a second round"),
        plain(
            "test_input_required_result_sampling",
            "Asks the client's model a question over a second round",
        ),
        plain("test_input_required_result_list_roots", "Asks for the client's roots over a second round"),
        plain(
            "test_input_required_result_request_state",
            "Asks for a confirmation and checks its requestState",
        ),
        plain("test_input_required_result_multiple_inputs", "Asks for three inputs at once"),
        plain("test_input_required_result_multi_round", "Asks for a name, then for a colour"),
        plain("test_input_required_result_tampered_state", "Refuses a requestState it did not issue"),
        plain("test_input_required_result_capabilities", "Asks only for inputs the client can give"),
        plain("test_streaming_elicitation", "Asks for a name over a second round"),
        plain("test_missing_capability", "Needs the client's sampling capability"),
        plain("test_logging_tool", "Logs once, when the request asks for a log level"),
        plain("test_trigger_tool_change", "Announces that the tool list changed"),
        plain("test_trigger_prompt_change", "Announces that the prompt list changed"),
    ]
}

fn elicit_name(message: &str) -> Value {
    json!({
        "method": "elicitation/create",
        "params": {
            "message": message,
            "requestedSchema": {
                "type": "object",
                "properties": { "name": { "type": "string" } },
                "required": ["name"],
            },
        },
    })
}

fn sample(text: &str, max_tokens: u32) -> Value {
    json!({
        "method": "sampling/createMessage",
        "params": {
            "messages": [{ "role": "user", "content": { "type": "text", "text": text } }],
            "maxTokens": max_tokens,
        },
    })
}

fn list_roots() -> Value {
    json!({ "method": "roots/list", "params": {} })
}

fn input_required(requests: Value, state: Option<String>) -> Result<InputRequiredResult, ErrorData> {
    let requests: InputRequests = typed(requests)?;
    Ok(InputRequiredResult::new(Some(requests), state))
}

/// The accepted content of an elicitation answer, when the client accepted.
fn accepted(responses: Option<&InputResponses>, key: &str) -> Option<serde_json::Map<String, Value>> {
    let answer = responses?.get(key)?;
    if answer.get("action").and_then(Value::as_str) != Some("accept") {
        return None;
    }
    answer.get("content").and_then(Value::as_object).cloned()
}

/// The text of a sampling answer.
fn sampled_text(responses: Option<&InputResponses>, key: &str) -> Option<String> {
    let content = responses?.get(key)?.get("content")?;
    let block = content.as_array().and_then(|blocks| blocks.first()).unwrap_or(content);
    block.get("text").and_then(Value::as_str).map(str::to_owned)
}

fn roots_of(responses: Option<&InputResponses>, key: &str) -> Option<Vec<String>> {
    let roots = responses?.get(key)?.get("roots")?.as_array()?;
    Some(roots.iter().filter_map(|root| root.get("uri").and_then(Value::as_str)).map(str::to_owned).collect())
}

impl ConformanceServer {
    async fn log(&self, context: &RequestContext<RoleServer>, data: &str) -> Result<(), ErrorData> {
        let notification: ServerNotification = typed(json!({
            "method": "notifications/message",
            "params": { "level": "info", "logger": "conformance", "data": data },
        }))?;
        context.peer.send_notification(notification).await.map_err(peer_error)
    }

    async fn progress(&self, context: &RequestContext<RoleServer>, done: u32) -> Result<(), ErrorData> {
        let Some(token) = context.meta.get_progress_token() else { return Ok(()) };
        let notification: ServerNotification = typed(json!({
            "method": "notifications/progress",
            "params": { "progressToken": token, "progress": done, "total": 100 },
        }))?;
        context.peer.send_notification(notification).await.map_err(peer_error)
    }

    /// Sends the client a request during a call (the 2025 lifecycle) and returns its answer.
    /// The client's answer to `request`. A request of 2026-07-28 cannot be sent requests, so
    /// there the answer comes in the call's retry, under [`ASKED`], and the first round answers
    /// `input_required` (as `Err`); an older session is sent the request during the call.
    async fn ask(
        &self,
        context: &RequestContext<RoleServer>,
        responses: Option<&InputResponses>,
        request: Value,
    ) -> Result<Result<Value, CallToolResponse>, ErrorData> {
        if let Some(answer) = responses.and_then(|responses| responses.get(ASKED)) {
            return Ok(Ok(answer.clone()));
        }
        if context.protocol_version().is_some_and(|version| version >= ProtocolVersion::V_2026_07_28) {
            let mut requests = serde_json::Map::new();
            requests.insert(ASKED.to_owned(), request);
            return Ok(Err(CallToolResponse::InputRequired(input_required(Value::Object(requests), None)?)));
        }
        let request: ServerRequest = typed(request)?;
        let answer: ClientResult = context.peer.send_request(request).await.map_err(peer_error)?;
        serde_json::to_value(answer).map(Ok).map_err(|err| ErrorData::internal_error(err.to_string(), None))
    }

    async fn elicit_and_report(
        &self,
        context: &RequestContext<RoleServer>,
        responses: Option<&InputResponses>,
        message: &str,
        schema: Value,
        prefix: &str,
    ) -> Result<CallToolResponse, ErrorData> {
        let request = json!({ "method": "elicitation/create", "params": { "message": message, "requestedSchema": schema } });
        let answer = match self.ask(context, responses, request).await? {
            Ok(answer) => answer,
            Err(input_required) => return Ok(input_required),
        };
        let action = answer.get("action").and_then(Value::as_str).unwrap_or("unknown");
        let content = answer.get("content").cloned().unwrap_or(Value::Null);
        text_result(format!("{prefix}action={action}, content={content}"))
    }

    async fn call(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let arguments = request.arguments.unwrap_or_default();
        let argument =
            |name: &str| arguments.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
        let responses = request.input_responses.as_ref();
        let state = request.request_state.as_deref();
        match request.name.as_ref() {
            "test_simple_text" => text_result("This is a simple text response for testing."),
            "test_image_content" => Ok(complete::<CallToolResult>(json!({
                "content": [{ "type": "image", "data": PNG, "mimeType": "image/png" }],
            }))?
            .into()),
            "test_audio_content" => Ok(complete::<CallToolResult>(json!({
                "content": [{ "type": "audio", "data": WAV, "mimeType": "audio/wav" }],
            }))?
            .into()),
            "test_embedded_resource" => Ok(complete::<CallToolResult>(json!({
                "content": [{ "type": "resource", "resource": {
                    "uri": "test://embedded-resource", "mimeType": "text/plain",
                    "text": "This is an embedded resource content.",
                } }],
            }))?
            .into()),
            "test_multiple_content_types" => Ok(complete::<CallToolResult>(json!({
                "content": [
                    { "type": "text", "text": "Multiple content types test:" },
                    { "type": "image", "data": PNG, "mimeType": "image/png" },
                    { "type": "resource", "resource": {
                        "uri": "test://mixed-content-resource", "mimeType": "application/json",
                        "text": json!({ "test": "data", "value": 123 }).to_string(),
                    } },
                ],
            }))?
            .into()),
            "test_tool_with_logging" => {
                self.log(&context, "Tool execution started").await?;
                tokio::time::sleep(Duration::from_millis(50)).await;
                self.log(&context, "Tool processing data").await?;
                tokio::time::sleep(Duration::from_millis(50)).await;
                self.log(&context, "Tool execution completed").await?;
                text_result("Logged three messages")
            }
            "test_error_handling" => Ok(CallToolResult::error(vec![rmcp::model::ContentBlock::text(
                "This tool intentionally returns an error for testing",
            )])
            .into()),
            "test_tool_with_progress" => {
                for done in [0, 50, 100] {
                    if done > 0 {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    self.progress(&context, done).await?;
                }
                text_result("Progress reported to 100 of 100")
            }
            "test_sampling" => {
                let answer = match self.ask(&context, responses, sample(&argument("prompt"), 100)).await? {
                    Ok(answer) => answer,
                    Err(input_required) => return Ok(input_required),
                };
                let text = answer.pointer("/content/text").and_then(Value::as_str).unwrap_or_default();
                text_result(format!("LLM response: {text}"))
            }
            "test_elicitation" => {
                let schema = json!({
                    "type": "object",
                    "properties": {
                        "username": { "type": "string", "description": "User's response" },
                        "email": { "type": "string", "description": "User's email address" },
                    },
                    "required": ["username", "email"],
                });
                self.elicit_and_report(&context, responses, &argument("message"), schema, "User response: ")
                    .await
            }
            "test_elicitation_sep1034_defaults" => {
                let schema = json!({
                    "type": "object",
                    "properties": {
                        "name": { "type": "string", "default": "John Doe" },
                        "age": { "type": "integer", "default": 30 },
                        "score": { "type": "number", "default": 95.5 },
                        "status": { "type": "string", "enum": ["active", "inactive", "pending"], "default": "active" },
                        "verified": { "type": "boolean", "default": true },
                    },
                });
                self.elicit_and_report(
                    &context,
                    responses,
                    "Please review these values",
                    schema,
                    "Elicitation completed: ",
                )
                .await
            }
            "test_elicitation_sep1330_enums" => {
                let titled = |values: [(&str, &str); 3]| {
                    values
                        .iter()
                        .map(|(value, title)| json!({ "const": value, "title": title }))
                        .collect::<Vec<_>>()
                };
                let schema = json!({
                    "type": "object",
                    "properties": {
                        "untitledSingle": { "type": "string", "enum": ["option1", "option2", "option3"] },
                        "titledSingle": { "type": "string", "oneOf": titled([("value1", "First Option"), ("value2", "Second Option"), ("value3", "Third Option")]) },
                        "legacyEnum": { "type": "string", "enum": ["opt1", "opt2", "opt3"], "enumNames": ["Option One", "Option Two", "Option Three"] },
                        "untitledMulti": { "type": "array", "items": { "type": "string", "enum": ["option1", "option2", "option3"] } },
                        "titledMulti": { "type": "array", "items": { "anyOf": titled([("value1", "First Choice"), ("value2", "Second Choice"), ("value3", "Third Choice")]) } },
                    },
                });
                self.elicit_and_report(
                    &context,
                    responses,
                    "Please choose",
                    schema,
                    "Elicitation completed: ",
                )
                .await
            }
            "test_reconnection" => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                text_result("Reconnection test completed")
            }
            "json_schema_2020_12_tool" => {
                text_result(format!("Received {}", Value::Object(arguments.clone())))
            }
            "test_custom_headers" => text_result(format!("region={}", argument("region"))),
            "test_input_required_result_elicitation" => match accepted(responses, "user_name")
                .and_then(|content| content.get("name").and_then(Value::as_str).map(str::to_owned))
            {
                Some(name) => text_result(format!("Hello, {name}!")),
                None => Ok(CallToolResponse::InputRequired(input_required(
                    json!({ "user_name": elicit_name("What is your name?") }),
                    None,
                )?)),
            },
            "test_input_required_result_sampling" => match sampled_text(responses, "capital_question") {
                Some(text) => text_result(format!("The model said: {text}")),
                None => Ok(CallToolResponse::InputRequired(input_required(
                    json!({ "capital_question": sample("What is the capital of France?", 100) }),
                    None,
                )?)),
            },
            "test_input_required_result_list_roots" => match roots_of(responses, "client_roots") {
                Some(roots) => text_result(format!("Roots: {}", roots.join(", "))),
                None => Ok(CallToolResponse::InputRequired(input_required(
                    json!({ "client_roots": list_roots() }),
                    None,
                )?)),
            },
            "test_input_required_result_request_state" => {
                if responses.is_some() {
                    self.states.redeem(state, Round::RequestState)?;
                    let ok = accepted(responses, "confirm")
                        .and_then(|c| c.get("ok").cloned())
                        .unwrap_or(Value::Null);
                    return text_result(format!("state-ok: confirmed={ok}"));
                }
                let confirm = json!({
                    "method": "elicitation/create",
                    "params": {
                        "message": "Please confirm",
                        "requestedSchema": {
                            "type": "object", "properties": { "ok": { "type": "boolean" } }, "required": ["ok"],
                        },
                    },
                });
                let handle = self.states.issue(Round::RequestState);
                Ok(CallToolResponse::InputRequired(input_required(
                    json!({ "confirm": confirm }),
                    Some(handle),
                )?))
            }
            "test_input_required_result_multiple_inputs" => {
                if responses.is_some() {
                    self.states.redeem(state, Round::MultipleInputs)?;
                    let name = accepted(responses, "user_name")
                        .and_then(|c| c.get("name").cloned())
                        .unwrap_or(Value::Null);
                    let greeting = sampled_text(responses, "greeting").unwrap_or_default();
                    let roots = roots_of(responses, "client_roots").unwrap_or_default();
                    return text_result(format!(
                        "name={name}, greeting={greeting}, roots={}",
                        roots.join(",")
                    ));
                }
                let handle = self.states.issue(Round::MultipleInputs);
                Ok(CallToolResponse::InputRequired(input_required(
                    json!({
                        "user_name": elicit_name("What is your name?"),
                        "greeting": sample("Generate a greeting", 50),
                        "client_roots": list_roots(),
                    }),
                    Some(handle),
                )?))
            }
            "test_input_required_result_multi_round" => {
                if responses.is_some_and(|r| r.contains_key("step2")) {
                    self.states.redeem(state, Round::MultiRoundSecond)?;
                    let color = accepted(responses, "step2")
                        .and_then(|c| c.get("color").cloned())
                        .unwrap_or(Value::Null);
                    return text_result(format!("All steps done; colour {color}"));
                }
                if responses.is_some_and(|r| r.contains_key("step1")) {
                    self.states.redeem(state, Round::MultiRoundFirst)?;
                    let color = json!({
                        "method": "elicitation/create",
                        "params": {
                            "message": "Step 2: What is your favorite color?",
                            "requestedSchema": {
                                "type": "object", "properties": { "color": { "type": "string" } }, "required": ["color"],
                            },
                        },
                    });
                    let handle = self.states.issue(Round::MultiRoundSecond);
                    return Ok(CallToolResponse::InputRequired(input_required(
                        json!({ "step2": color }),
                        Some(handle),
                    )?));
                }
                let handle = self.states.issue(Round::MultiRoundFirst);
                Ok(CallToolResponse::InputRequired(input_required(
                    json!({ "step1": elicit_name("Step 1: What is your name?") }),
                    Some(handle),
                )?))
            }
            "test_input_required_result_tampered_state" => {
                if responses.is_some() || state.is_some() {
                    self.states.redeem(state, Round::Tampered)?;
                    return text_result("requestState verified");
                }
                let handle = self.states.issue(Round::Tampered);
                Ok(CallToolResponse::InputRequired(input_required(
                    json!({ "user_name": elicit_name("What is your name?") }),
                    Some(handle),
                )?))
            }
            "test_input_required_result_capabilities" => {
                let declared = declared_capabilities(&context);
                if responses.is_some() {
                    return text_result("Inputs received");
                }
                let mut requests = serde_json::Map::new();
                if declared.get("elicitation").is_some() {
                    requests.insert("user_name".to_owned(), elicit_name("What is your name?"));
                }
                if declared.get("sampling").is_some() {
                    requests
                        .insert("capital_question".to_owned(), sample("What is the capital of France?", 100));
                }
                if declared.get("roots").is_some() {
                    requests.insert("client_roots".to_owned(), list_roots());
                }
                if requests.is_empty() {
                    return text_result("The client offers no way to give input");
                }
                Ok(CallToolResponse::InputRequired(input_required(Value::Object(requests), None)?))
            }
            "test_streaming_elicitation" => match accepted(responses, "user_name") {
                Some(content) => text_result(format!("Received {}", Value::Object(content))),
                None => Ok(CallToolResponse::InputRequired(input_required(
                    json!({ "user_name": elicit_name("What is your name?") }),
                    None,
                )?)),
            },
            "test_missing_capability" => {
                if declared_capabilities(&context).get("sampling").is_none() {
                    return Err(ErrorData::new(
                        ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY,
                        "this tool needs the client's sampling capability",
                        Some(json!({ "requiredCapabilities": { "sampling": {} } })),
                    ));
                }
                text_result("The client can sample")
            }
            "test_logging_tool" => {
                if context.meta.log_level().is_some() {
                    self.log(&context, "test_logging_tool ran").await?;
                }
                text_result("Logged only when asked to")
            }
            "test_trigger_tool_change" => {
                // Nobody listening is fine: the change is announced to whoever is.
                let _ = self.changes.send(ListChange::Tools);
                text_result("Tool list change announced")
            }
            "test_trigger_prompt_change" => {
                let _ = self.changes.send(ListChange::Prompts);
                text_result("Prompt list change announced")
            }
            other => Err(ErrorData::invalid_params(format!("no tool named {other}"), None)),
        }
    }
}

fn peer_error(err: rmcp::service::ServiceError) -> ErrorData {
    ErrorData::internal_error(format!("the client's answer failed: {err}"), None)
}

fn prompt_list() -> Value {
    json!([
        { "name": "test_simple_prompt", "description": "A prompt without arguments" },
        {
            "name": "test_prompt_with_arguments",
            "description": "A prompt with two arguments",
            "arguments": [
                { "name": "arg1", "description": "The first argument", "required": true },
                { "name": "arg2", "description": "The second argument", "required": true },
            ],
        },
        {
            "name": "test_prompt_with_embedded_resource",
            "description": "A prompt that embeds a resource",
            "arguments": [{ "name": "resourceUri", "description": "The resource to embed", "required": true }],
        },
        { "name": "test_prompt_with_image", "description": "A prompt with an image" },
        { "name": "test_input_required_result_prompt", "description": "A prompt that asks for context first" },
    ])
}

/// The resources `resources/list` names (the template and the watched resource are not listed).
fn resource_list() -> Value {
    json!([
        { "uri": "test://static-text", "name": "static-text", "description": "A fixed text", "mimeType": "text/plain" },
        { "uri": "test://static-binary", "name": "static-binary", "description": "A fixed PNG", "mimeType": "image/png" },
        { "uri": "test://watched-resource", "name": "watched-resource", "description": "A resource to subscribe to", "mimeType": "text/plain" },
    ])
}

fn read(uri: &str) -> Option<Value> {
    let contents = match uri {
        "test://static-text" => json!({
            "uri": uri, "mimeType": "text/plain", "text": "This is the content of the static text resource.",
        }),
        "test://static-binary" => json!({ "uri": uri, "mimeType": "image/png", "blob": PNG }),
        "test://watched-resource" => {
            json!({ "uri": uri, "mimeType": "text/plain", "text": "Watched content." })
        }
        _ => {
            let id = uri.strip_prefix("test://template/")?.strip_suffix("/data")?;
            if id.is_empty() || id.contains('/') {
                return None;
            }
            let data = json!({ "id": id, "templateTest": true, "data": format!("Data for ID: {id}") });
            json!({ "uri": uri, "mimeType": "application/json", "text": data.to_string() })
        }
    };
    Some(json!({ "contents": [contents], "ttlMs": TTL_MS, "cacheScope": "public" }))
}

fn listing(key: &str, items: Value) -> Value {
    json!({ key: items, "ttlMs": TTL_MS, "cacheScope": "public" })
}

impl ServerHandler for ConformanceServer {
    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        match self.revisions {
            Revisions::All => Cow::Borrowed(ProtocolVersion::KNOWN_VERSIONS),
            Revisions::Only2026 => Cow::Owned(vec![ProtocolVersion::V_2026_07_28]),
        }
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, ErrorData> {
        context.peer.set_peer_info(request.clone());
        let answer = self.negotiate_initialize(&request);
        if let Some(log) = &self.log {
            let outcome = match &answer {
                Ok(result) => {
                    json!({ "initialize": "accepted", "requested": request.protocol_version, "agreed": result.protocol_version })
                }
                Err(err) => {
                    json!({ "initialize": "refused", "requested": request.protocol_version, "code": err.code.0 })
                }
            };
            log.record(&outcome);
        }
        answer
    }

    fn get_info(&self) -> ServerConfig {
        let capabilities: ServerCapabilities = serde_json::from_value(json!({
            "tools": { "listChanged": true },
            "prompts": { "listChanged": true },
            "resources": { "subscribe": true },
            "logging": {},
            "completions": {},
        }))
        .unwrap_or_default();
        ServerConfig::new(capabilities).with_server_info(rmcp::model::Implementation::new(
            "lanyard-conformance-server",
            env!("CARGO_PKG_VERSION"),
        ))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        tool_list()
            .into_iter()
            .find(|tool| tool.get("name").and_then(Value::as_str) == Some(name))
            .and_then(|tool| serde_json::from_value(tool).ok())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        complete(listing("tools", Value::Array(tool_list())))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        self.call(request, context).await
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        complete(listing("prompts", prompt_list()))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let arguments = request.arguments.clone().unwrap_or_default();
        let argument =
            |name: &str| arguments.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
        let user = |content: Value| json!({ "role": "user", "content": content });
        let messages = match request.name.as_ref() {
            "test_simple_prompt" => {
                vec![user(json!({ "type": "text", "text": "This is a simple prompt for testing." }))]
            }
            "test_prompt_with_arguments" => vec![user(json!({
                "type": "text",
                "text": format!("Prompt with arguments: arg1='{}', arg2='{}'", argument("arg1"), argument("arg2")),
            }))],
            "test_prompt_with_embedded_resource" => vec![
                user(json!({ "type": "resource", "resource": {
                    "uri": argument("resourceUri"), "mimeType": "text/plain",
                    "text": "Embedded resource content for testing.",
                } })),
                user(json!({ "type": "text", "text": "Please process the embedded resource above." })),
            ],
            "test_prompt_with_image" => vec![
                user(json!({ "type": "image", "data": PNG, "mimeType": "image/png" })),
                user(json!({ "type": "text", "text": "Please analyze the image above." })),
            ],
            "test_input_required_result_prompt" => {
                let Some(content) = accepted(request.input_responses.as_ref(), "user_context") else {
                    let context = json!({
                        "method": "elicitation/create",
                        "params": {
                            "message": "What context should the prompt use?",
                            "requestedSchema": {
                                "type": "object", "properties": { "context": { "type": "string" } }, "required": ["context"],
                            },
                        },
                    });
                    return Ok(GetPromptResponse::InputRequired(input_required(
                        json!({ "user_context": context }),
                        None,
                    )?));
                };
                let given = content.get("context").and_then(Value::as_str).unwrap_or_default().to_owned();
                vec![user(json!({ "type": "text", "text": format!("Use this context: {given}") }))]
            }
            other => return Err(ErrorData::invalid_params(format!("no prompt named {other}"), None)),
        };
        Ok(complete::<GetPromptResult>(json!({ "messages": messages }))?.into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        complete(listing("resources", resource_list()))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        complete(listing(
            "resourceTemplates",
            json!([{
                "uriTemplate": "test://template/{id}/data",
                "name": "template-data",
                "description": "Data for one id",
                "mimeType": "application/json",
            }]),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        match read(&request.uri) {
            Some(answer) => Ok(complete::<ReadResourceResult>(answer)?.into()),
            None => Err(ErrorData::invalid_params(
                format!("no resource {}", request.uri),
                Some(json!({ "uri": request.uri })),
            )),
        }
    }

    fn accepted_subscription_filter(&self, requested: &SubscriptionFilter) -> Option<SubscriptionFilter> {
        Some(requested.clone())
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        let mut changes = self.changes.subscribe();
        loop {
            let change = tokio::select! {
                () = context.cancelled() => return Ok(()),
                change = changes.recv() => change,
            };
            let sent = match change {
                Ok(ListChange::Tools) => context.sink().notify_tool_list_changed().await,
                Ok(ListChange::Prompts) => context.sink().notify_prompt_list_changed().await,
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return Ok(()),
            };
            // A change the listener did not ask for is not sent; rmcp refuses it, which is right.
            if let Err(rmcp::service::SubscriptionSendError::SubscriptionClosed) = sent {
                return Ok(());
            }
        }
    }

    async fn subscribe(
        &self,
        _request: SubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        Ok(())
    }

    async fn unsubscribe(
        &self,
        _request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        Ok(())
    }

    async fn set_level(
        &self,
        _request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        Ok(())
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let candidates = ["paris", "park", "party", "test", "testing"];
        let prefix = request.argument.value.as_str();
        let values: Vec<&str> =
            candidates.iter().copied().filter(|value| value.starts_with(prefix)).collect();
        complete(json!({ "completion": { "values": values, "total": values.len(), "hasMore": false } }))
    }
}
