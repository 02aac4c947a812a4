//! How the pass-through bridge tells a 2026-07-28 agent that the tool list changed.
//!
//! Such an agent has no GET stream and is sent nothing unprompted: it keeps a
//! `subscriptions/listen` request open, and hears of changes only there, each notification naming
//! that request in `_meta` (`io.modelcontextprotocol/subscriptionId`), and none before the
//! server's `notifications/subscriptions/acknowledged`, whose filter says which kinds will come
//! (a client drops a listen that carries any other). The bridge has news of its own for such an
//! agent, an approval of withheld tools ([`super::pins_watch`]), so on the pass-through paths it
//! notes the agent's listens that ask for tool list changes ([`Listens`]), makes their
//! acknowledgement grant those (a server that announces no list changes of its own grants none:
//! [`granting_tool_changes`]), and sends its notice on each ([`tools_changed_on`]).
//!
//! A listen is long-lived by design, so it has no request deadline on these paths.

use std::collections::HashMap;

use bytes::Bytes;
use serde_json::{Value, json};

use super::jsonrpc::{IdKey, Peeked};

/// The request a 2026-07-28 agent keeps open to hear of changes.
pub(crate) const LISTEN: &str = "subscriptions/listen";
/// The server's first message on a listen: which kinds of notification it will carry.
const ACKNOWLEDGED: &str = "notifications/subscriptions/acknowledged";
const SUBSCRIPTION_ID: &str = "io.modelcontextprotocol/subscriptionId";

/// Whether message `raw` (one request) is a listen that asks for tool list changes.
pub(crate) fn wants_tool_changes(raw: &[u8]) -> bool {
    serde_json::from_slice::<Value>(raw).is_ok_and(|message| {
        message["method"] == LISTEN
            && message.pointer("/params/notifications/toolsListChanged") == Some(&json!(true))
    })
}

/// The request a lone `notifications/cancelled` from the agent gives up, if `raw` is one.
pub(crate) fn cancelled_request(raw: &[u8], peeked: &[Peeked]) -> Option<IdKey> {
    let [only] = peeked else { return None };
    if !only.method_is("notifications/cancelled") {
        return None;
    }
    let message: Value = serde_json::from_slice(raw).ok()?;
    message.pointer("/params/requestId").map(IdKey::of)
}

/// `notifications/tools/list_changed` on the agent's listen `id`.
pub(crate) fn tools_changed_on(id: &Value) -> Bytes {
    let notice = json!({
        "jsonrpc": "2.0",
        "method": "notifications/tools/list_changed",
        "params": { "_meta": { SUBSCRIPTION_ID: id } },
    });
    Bytes::from(notice.to_string())
}

/// If `raw` is the server's acknowledgement of listen `id`: the same, granting tool list changes
/// (the agent asked for them, and the bridge has its own to tell). `None` for anything else.
pub(crate) fn granting_tool_changes(raw: &[u8], id: &Value) -> Option<Bytes> {
    let mut message: Value = serde_json::from_slice(raw).ok()?;
    if message["method"] != ACKNOWLEDGED
        || message.pointer(&format!("/params/_meta/{}", pointer_key())) != Some(id)
    {
        return None;
    }
    let notifications = message.pointer_mut("/params/notifications")?.as_object_mut()?;
    notifications.insert("toolsListChanged".to_owned(), Value::Bool(true));
    Some(Bytes::from(message.to_string()))
}

/// [`SUBSCRIPTION_ID`] as a JSON pointer token (`/` escaped).
fn pointer_key() -> String {
    SUBSCRIPTION_ID.replace('~', "~0").replace('/', "~1")
}

/// The agent's open listens that asked for tool list changes, on one pass-through session.
#[derive(Debug, Default)]
pub(crate) struct Listens {
    open: HashMap<IdKey, Listen>,
}

#[derive(Debug)]
struct Listen {
    id: Value,
    /// The server acknowledged it: notifications may go on it.
    acknowledged: bool,
}

impl Listens {
    /// Notes what the agent sent (one message: 2026-07-28 has no batches): a listen for tool
    /// list changes opens one.
    pub fn on_agent(&mut self, raw: &[u8], peeked: &[Peeked]) {
        let [only] = peeked else { return };
        if only.is_request() && only.method_is(LISTEN) && wants_tool_changes(raw) {
            let (Some(key), Some(id)) = (only.request_key(), only.id.clone()) else { return };
            self.open.insert(key, Listen { id, acknowledged: false });
        }
    }

    /// A message from the server, as the agent should get it: the acknowledgement of a listen
    /// noted here grants tool list changes; the final answer to one ends it.
    pub fn on_upstream(&mut self, raw: Bytes, peeked: &[Peeked]) -> Bytes {
        if self.open.is_empty() {
            return raw;
        }
        for key in peeked.iter().filter_map(Peeked::response_key) {
            self.open.remove(&key);
        }
        if peeked.len() != 1 || !peeked[0].method_is(ACKNOWLEDGED) {
            return raw;
        }
        for listen in self.open.values_mut() {
            if let Some(granted) = granting_tool_changes(&raw, &listen.id) {
                listen.acknowledged = true;
                return granted;
            }
        }
        raw
    }

    /// The listen of `key` is over: cancelled by the agent, or answered with an error here.
    pub fn end(&mut self, key: &IdKey) {
        self.open.remove(key);
    }

    pub fn clear(&mut self) {
        self.open.clear();
    }

    /// The notice of a tool list change for each acknowledged listen.
    pub fn notices(&self) -> Vec<Bytes> {
        self.open
            .values()
            .filter(|listen| listen.acknowledged)
            .map(|listen| tools_changed_on(&listen.id))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::jsonrpc::peek;

    const LISTEN_7: &[u8] =
        br#"{"jsonrpc":"2.0","id":7,"method":"subscriptions/listen","params":{"notifications":{"toolsListChanged":true}}}"#;
    const ACK_7: &[u8] = br#"{"jsonrpc":"2.0","method":"notifications/subscriptions/acknowledged","params":{"_meta":{"io.modelcontextprotocol/subscriptionId":7},"notifications":{}}}"#;

    fn seen(listens: &mut Listens, raw: &'static [u8]) -> Bytes {
        listens.on_upstream(Bytes::from_static(raw), &peek(raw).unwrap())
    }

    #[test]
    fn a_listen_for_tool_changes_is_told_once_acknowledged_and_granted_them() {
        let mut listens = Listens::default();
        listens.on_agent(LISTEN_7, &peek(LISTEN_7).unwrap());
        assert!(listens.notices().is_empty(), "nothing goes on a listen before its acknowledgement");
        let ack: Value = serde_json::from_slice(&seen(&mut listens, ACK_7)).unwrap();
        assert_eq!(ack["params"]["notifications"]["toolsListChanged"], true, "granted: {ack}");
        let notices = listens.notices();
        let notice: Value = serde_json::from_slice(&notices[0]).unwrap();
        assert_eq!(notice["method"], "notifications/tools/list_changed");
        assert_eq!(notice["params"]["_meta"][SUBSCRIPTION_ID], 7, "it names the listen: {notice}");
        seen(&mut listens, br#"{"jsonrpc":"2.0","id":7,"result":{}}"#);
        assert!(listens.notices().is_empty(), "its final answer ends it");
    }

    #[test]
    fn a_cancelled_listen_ends_and_others_are_left_alone() {
        let mut listens = Listens::default();
        listens.on_agent(LISTEN_7, &peek(LISTEN_7).unwrap());
        seen(&mut listens, ACK_7);
        let cancel = br#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7}}"#;
        let key =
            cancelled_request(cancel, &peek(cancel).unwrap()).expect("a cancellation names its request");
        listens.end(&key);
        assert!(listens.notices().is_empty(), "a cancelled listen is over");

        let prompts = br#"{"jsonrpc":"2.0","id":8,"method":"subscriptions/listen","params":{"notifications":{"promptsListChanged":true}}}"#;
        listens.on_agent(prompts, &peek(prompts).unwrap());
        let ack_8 = br#"{"jsonrpc":"2.0","method":"notifications/subscriptions/acknowledged","params":{"_meta":{"io.modelcontextprotocol/subscriptionId":8},"notifications":{"promptsListChanged":true}}}"#;
        assert_eq!(
            seen(&mut listens, ack_8),
            Bytes::from_static(ack_8),
            "a listen without tools is untouched"
        );
        assert!(listens.notices().is_empty());
    }
}
