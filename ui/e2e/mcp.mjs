// A minimal streamable HTTP MCP client for the E2E, on Node's fetch: enough to prove that the
// hub the app hosts answers an agent. The answer may come as JSON or as an event stream that
// stays open, so the body is read only until the answer to our request id arrives.

const INITIALIZE = (id) => ({
  jsonrpc: "2.0",
  id,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "lanyard-e2e", version: "0" },
  },
});

/** POSTs `initialize` to `url` with the bridge token; resolves to `{ status, session, answer }`. */
export async function initialize(url, token, timeoutMs = 30_000) {
  const id = 1;
  const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
  if (token) headers.authorization = `Bearer ${token}`;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const res = await fetch(url, { method: "POST", headers, body: JSON.stringify(INITIALIZE(id)), signal: abort.signal });
    const session = res.headers.get("mcp-session-id");
    if (!res.ok) return { status: res.status, session, answer: null, text: await res.text() };
    const answer = await readAnswer(res, id);
    return { status: res.status, session, answer };
  } finally {
    clearTimeout(timer);
  }
}

/** Finishes the handshake of `session` and asks for `tools/list`; resolves to the tool names. */
export async function listToolNames(url, token, session, timeoutMs = 30_000) {
  const headers = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    authorization: `Bearer ${token}`,
    "mcp-session-id": session,
    "mcp-protocol-version": "2025-06-18",
  };
  const initialized = await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
  });
  await initialized.body?.cancel();
  const id = 2;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const res = await fetch(url, {
      method: "POST",
      headers,
      body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/list", params: {} }),
      signal: abort.signal,
    });
    if (!res.ok) throw new Error(`tools/list: HTTP ${res.status}: ${await res.text()}`);
    const answer = await readAnswer(res, id);
    if (!answer.result) throw new Error(`tools/list failed: ${JSON.stringify(answer)}`);
    return answer.result.tools.map((tool) => tool.name);
  } finally {
    clearTimeout(timer);
  }
}

/** Calls tool `name` with `args` in `session` (its handshake finished by `listToolNames`);
 *  resolves to the JSON-RPC answer: `result` for a call that ran, `error` for one refused. */
export async function callTool(url, token, session, name, args, id = 3, timeoutMs = 30_000) {
  const headers = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    authorization: `Bearer ${token}`,
    "mcp-session-id": session,
    "mcp-protocol-version": "2025-06-18",
  };
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const res = await fetch(url, {
      method: "POST",
      headers,
      body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } }),
      signal: abort.signal,
    });
    if (!res.ok) throw new Error(`tools/call: HTTP ${res.status}: ${await res.text()}`);
    return await readAnswer(res, id);
  } finally {
    clearTimeout(timer);
  }
}

/** Ends an MCP session (so the hub stops the upstream child it started for it). */
export async function endSession(url, token, session) {
  await fetch(url, { method: "DELETE", headers: { authorization: `Bearer ${token}`, "mcp-session-id": session } });
}

async function readAnswer(res, id) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (value) text += decoder.decode(value, { stream: true });
      for (const line of text.split("\n")) {
        const data = line.startsWith("data:") ? line.slice(5).trim() : line.trim();
        try {
          const message = JSON.parse(data);
          if (message?.id === id) return message;
        } catch {
          // not a whole JSON message (yet)
        }
      }
      if (done) throw new Error(`no answer to request ${id} in: ${text}`);
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
