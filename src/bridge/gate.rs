//! Agent rights applied to messages in flight, and the call log's bookkeeping: shared by every
//! path (the HTTP forward, the per-session pipes of `lanyard serve`, the stdio bridge and the
//! merged server), so that what an agent may do, and how its calls are recorded, is written once.
//!
//! An agent that may use everything (the built-in `default`) has no [`Grant`] on any source and
//! costs nothing here: every function below is reached only with one.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use super::jsonrpc::{INVALID_PARAMS, IdKey, Peeked, error_reply};
use crate::agents::{Access, CallLog, Grant, Lack, Outcome, Touches};
use crate::ids::SourceId;

/// The methods recorded in the call log: the requests that act on a source. Lists, the
/// handshake and pings are not calls.
pub(crate) fn is_call(method: &str) -> bool {
    matches!(method, "tools/call" | "prompts/get" | "resources/read" | "completion/complete")
}

/// What a request is called in the call log: the tool for `tools/call`, else the method.
pub(crate) fn call_name(peeked: &Peeked) -> String {
    match (peeked.method.as_deref(), &peeked.name) {
        (Some("tools/call"), Some(name)) => name.clone(),
        (method, _) => method.unwrap_or_default().to_owned(),
    }
}

/// Why `grant` keeps a request of `peeked` from going to `source`, if it does.
pub(crate) fn lack_of(grant: &Grant, source: &SourceId, peeked: &Peeked) -> Option<Lack> {
    let method = peeked.method.as_deref()?;
    grant.check(source, method, peeked.name.as_deref()).err()
}

/// The answer to a message (or batch) of which some request lacks a right, or `None` when all
/// may go. A refused list of resources or prompts is answered with an empty list (the agent
/// simply has none); every other refused request with an error naming the agent and what it
/// lacks. A batch with a refused request is refused whole, as for hidden tools.
pub(crate) fn refusal(grant: &Grant, source: &SourceId, peeked: &[Peeked]) -> Option<Bytes> {
    let lacks: Vec<Option<Lack>> = peeked.iter().map(|p| lack_of(grant, source, p)).collect();
    if lacks.iter().all(Option::is_none) {
        return None;
    }
    let answer = |p: &Peeked, lack: &Option<Lack>| -> Option<Value> {
        let id = p.id.clone().filter(|_| p.is_request())?;
        Some(match lack {
            Some(lack) => match Touches::of(p.method.as_deref().unwrap_or_default()) {
                Touches::Resources { listing: true } | Touches::Prompts { listing: true } => {
                    json!({"jsonrpc": "2.0", "id": id, "result": empty_list(p.method.as_deref())})
                }
                _ => refused_value(&id, lack, source),
            },
            None => refused_value(
                &id,
                &format!(
                    "source `{source}`: this batch was not sent because another of its requests was refused; send the requests separately"
                ),
                source,
            ),
        })
    };
    let replies: Vec<Value> = peeked.iter().zip(&lacks).filter_map(|(p, lack)| answer(p, lack)).collect();
    let body =
        if peeked.len() == 1 { serde_json::to_vec(replies.first()?) } else { serde_json::to_vec(&replies) };
    Some(Bytes::from(body.expect("a JSON value serializes")))
}

/// The answer to a listing of resources, templates or prompts an agent may not have: none.
pub(crate) fn empty_list(method: Option<&str>) -> Value {
    match method {
        Some("resources/templates/list") => json!({"resourceTemplates": []}),
        Some("prompts/list") => json!({"prompts": []}),
        _ => json!({"resources": []}),
    }
}

fn refused_value(id: &Value, message: &impl ToString, source: &SourceId) -> Value {
    serde_json::from_slice(&error_reply(id, INVALID_PARAMS, &message.to_string(), source))
        .expect("error_reply makes JSON")
}

/// Every request of a message to a source the agent may not use, answered with `lack`.
pub(crate) fn denied(lack: &Lack, source: &SourceId, peeked: &[Peeked]) -> Bytes {
    let replies: Vec<Value> = peeked
        .iter()
        .filter(|p| p.is_request())
        .filter_map(|p| p.id.as_ref())
        .map(|id| refused_value(id, lack, source))
        .collect();
    let body = match replies.as_slice() {
        [one] => serde_json::to_vec(one),
        _ => serde_json::to_vec(&replies),
    };
    Bytes::from(body.expect("a JSON value serializes"))
}

/// How the answers in `raw` ended, by request id.
pub(crate) fn outcomes(raw: &[u8]) -> Vec<(IdKey, Outcome)> {
    #[derive(Deserialize)]
    struct Answer {
        #[serde(default)]
        id: Option<Value>,
        #[serde(default)]
        result: Option<ResultShape>,
        #[serde(default)]
        error: Option<serde::de::IgnoredAny>,
    }
    #[derive(Deserialize)]
    struct ResultShape {
        #[serde(default, rename = "isError")]
        is_error: Option<bool>,
    }
    let first = raw.iter().find(|b| !b.is_ascii_whitespace());
    let answers: Vec<Answer> = if first == Some(&b'[') {
        serde_json::from_slice(raw).unwrap_or_default()
    } else {
        serde_json::from_slice(raw).map(|a| vec![a]).unwrap_or_default()
    };
    answers
        .into_iter()
        .filter_map(|answer| {
            let id = answer.id?;
            let outcome = match (answer.result, answer.error) {
                (Some(ResultShape { is_error: Some(true) }), _) => Outcome::ToolError,
                (Some(_), _) => Outcome::Ok,
                (None, Some(_)) => Outcome::UpstreamError,
                (None, None) => return None,
            };
            Some((IdKey::of(&id), outcome))
        })
        .collect()
}

/// Who records calls, and as which agent.
#[derive(Clone)]
pub(crate) struct Recorder {
    pub log: CallLog,
    pub access: Arc<Access>,
}

/// The agent a request comes from, and what it may do on the source it goes to.
#[derive(Clone)]
pub(crate) struct Caller {
    pub access: Arc<Access>,
    /// `None`: everything.
    pub grant: Option<Arc<Grant>>,
}

/// Calls the data lines of an event stream's events to [`Calls::saw`] as the stream passes,
/// the bytes themselves untouched.
pub(crate) struct EventWatch {
    calls: Calls,
    line: Vec<u8>,
    data: Vec<u8>,
}

impl EventWatch {
    pub(crate) fn new(calls: Calls) -> Self {
        Self { calls, line: Vec::new(), data: Vec::new() }
    }

    /// One chunk of the stream.
    pub(crate) fn chunk(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while let Some(end) = rest.iter().position(|b| *b == b'\n') {
            self.line.extend_from_slice(&rest[..end]);
            rest = &rest[end + 1..];
            let line = std::mem::take(&mut self.line);
            let line = line.strip_suffix(b"\r").unwrap_or(&line);
            if line.is_empty() {
                if !self.data.is_empty() {
                    self.calls.saw(&self.data);
                    self.data.clear();
                }
            } else if let Some(data) = line.strip_prefix(b"data:") {
                if !self.data.is_empty() {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(data.strip_prefix(b" ").unwrap_or(data));
            }
        }
        self.line.extend_from_slice(rest);
    }
}

/// The calls of one message on their way: recorded when their answers are seen
/// ([`Calls::saw`]), or when this is dropped, with the outcome given by [`Calls::ended`]
/// (no answer at all: an upstream error).
pub(crate) struct Calls {
    recorder: Recorder,
    source: SourceId,
    started: (SystemTime, Instant),
    open: HashMap<IdKey, String>,
    unanswered: Outcome,
}

impl Calls {
    /// The calls among `peeked`, or `None` when it holds none.
    pub(crate) fn of(
        log: &CallLog,
        access: &Arc<Access>,
        source: &SourceId,
        peeked: &[Peeked],
    ) -> Option<Self> {
        let open: HashMap<IdKey, String> = peeked
            .iter()
            .filter(|p| p.method.as_deref().is_some_and(is_call))
            .filter_map(|p| Some((p.request_key()?, call_name(p))))
            .collect();
        (!open.is_empty()).then(|| Self {
            recorder: Recorder { log: log.clone(), access: Arc::clone(access) },
            source: source.clone(),
            started: (SystemTime::now(), Instant::now()),
            open,
            unanswered: Outcome::UpstreamError,
        })
    }

    /// A message from the source (one answer or a batch); the calls it answers are recorded.
    pub(crate) fn saw(&mut self, raw: &[u8]) {
        if self.open.is_empty() {
            return;
        }
        for (key, outcome) in outcomes(raw) {
            if let Some(name) = self.open.remove(&key) {
                self.record(&name, outcome);
            }
        }
    }

    /// The calls still open end with `outcome` when this is dropped.
    pub(crate) fn ended(&mut self, outcome: Outcome) {
        self.unanswered = outcome;
    }

    fn record(&self, name: &str, outcome: Outcome) {
        self.recorder.log.finished(self.recorder.access.name(), &self.source, name, self.started, outcome);
    }
}

impl Drop for Calls {
    fn drop(&mut self) {
        for name in std::mem::take(&mut self.open).into_values() {
            self.record(&name, self.unanswered);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::jsonrpc::peek;
    use super::*;
    use crate::agents::{AgentProfile, AgentTools};

    fn grant() -> Grant {
        Grant {
            agent: "cursor".parse().unwrap(),
            tools: Some(AgentTools { include: vec!["echo".into()], exclude: vec![] }),
            resources: false,
            prompts: true,
        }
    }

    fn src() -> SourceId {
        "tracker".parse().unwrap()
    }

    fn check(text: &str) -> Option<Value> {
        let peeked = peek(text.as_bytes()).unwrap();
        refusal(&grant(), &src(), &peeked).map(|b| serde_json::from_slice(&b).unwrap())
    }

    #[test]
    fn calls_outside_the_grant_are_refused_naming_agent_and_tool() {
        assert!(
            check(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}}"#).is_none()
        );
        let reply =
            check(r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"rm"}}"#).unwrap();
        let message = reply["error"]["message"].as_str().unwrap();
        assert!(message.contains("agent `cursor`") && message.contains("tool `rm`"), "{message}");
        assert_eq!(reply["id"], 2);
        let listed = check(r#"{"jsonrpc":"2.0","id":3,"method":"resources/list"}"#).unwrap();
        assert_eq!(listed["result"]["resources"], json!([]), "no resources, no error");
        let read =
            check(r#"{"jsonrpc":"2.0","id":4,"method":"resources/read","params":{"uri":"x"}}"#).unwrap();
        assert!(read["error"]["message"].as_str().unwrap().contains("resources"));
        assert!(check(r#"{"jsonrpc":"2.0","id":5,"method":"prompts/get","params":{"name":"p"}}"#).is_none());
        let batch = check(r#"[{"jsonrpc":"2.0","id":6,"method":"ping"},{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"rm"}}]"#).unwrap();
        assert_eq!(batch.as_array().map(Vec::len), Some(2), "each request answered");
    }

    #[test]
    fn event_streams_are_watched_across_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let log = CallLog::in_dir(dir.path());
        let access = Arc::new(Access::everything("default".parse().unwrap()));
        let sent =
            peek(br#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"echo"}}"#).unwrap();
        let mut watch = EventWatch::new(Calls::of(&log, &access, &src(), &sent).unwrap());
        watch.chunk(b"event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":9,\"res");
        watch.chunk(b"ult\":{\"isError\":true}}\n\n");
        drop(watch);
        log.flush();
        let read = log.read(&crate::agents::CallFilter::default(), 10);
        assert_eq!(read.iter().map(|c| c.outcome).collect::<Vec<_>>(), [Outcome::ToolError]);
    }

    #[test]
    fn outcomes_come_from_the_answers() {
        let ok = outcomes(br#"{"jsonrpc":"2.0","id":1,"result":{"content":[]}}"#);
        assert_eq!(ok, [(IdKey::of(&json!(1)), Outcome::Ok)]);
        let tool = outcomes(br#"{"jsonrpc":"2.0","id":"a","result":{"isError":true,"content":[]}}"#);
        assert_eq!(tool, [(IdKey::of(&json!("a")), Outcome::ToolError)]);
        let error = outcomes(br#"[{"jsonrpc":"2.0","id":2,"error":{"code":-1,"message":"x"}}]"#);
        assert_eq!(error, [(IdKey::of(&json!(2)), Outcome::UpstreamError)]);
        assert!(outcomes(br#"{"jsonrpc":"2.0","method":"notifications/progress"}"#).is_empty());
    }

    #[test]
    fn calls_are_recorded_once_each_with_their_outcome() {
        let dir = tempfile::tempdir().unwrap();
        let log = CallLog::in_dir(dir.path());
        let access = Arc::new(Access::of("cursor".parse().unwrap(), &AgentProfile::everything()));

        let sent = peek(br#"[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"add"}},{"jsonrpc":"2.0","id":3,"method":"tools/list"}]"#).unwrap();
        let mut calls = Calls::of(&log, &access, &src(), &sent).expect("two calls");
        calls.saw(br#"{"jsonrpc":"2.0","id":1,"result":{"isError":true}}"#);
        calls.ended(Outcome::Timeout);
        drop(calls);
        log.flush();
        let read = log.read(&crate::agents::CallFilter::default(), 10);
        let seen: Vec<(&str, Outcome)> = read.iter().map(|c| (c.name.as_str(), c.outcome)).collect();
        assert_eq!(seen, [("echo", Outcome::ToolError), ("add", Outcome::Timeout)], "the list is no call");
    }
}
