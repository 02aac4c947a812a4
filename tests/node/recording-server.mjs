// A minimal MCP server over stdio for Lanyard's merged-server tests, written line by line so
// the test sees exactly what reached the server. Its tool `wait` reports progress once and
// never answers by itself; when the client cancels a request, the server says in a log message
// which request id was cancelled and which `wait` call ids it had seen, so a test can check the
// cancellation arrived under the id the server knows the call by. Its tool `announce` sends
// `notifications/tools/list_changed`, then answers.
import readline from "node:readline";

const calls = [];

function send(message) {
  process.stdout.write(JSON.stringify({ jsonrpc: "2.0", ...message }) + "\n");
}

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const message = JSON.parse(line);
  switch (message.method) {
    case "initialize":
      send({
        id: message.id,
        result: {
          protocolVersion: message.params.protocolVersion,
          capabilities: { tools: { listChanged: true }, logging: {} },
          serverInfo: { name: "recording-server", version: "1.0.0" },
        },
      });
      break;
    case "tools/list":
      send({
        id: message.id,
        result: {
          tools: [
            { name: "wait", description: "Answers only when cancelled", inputSchema: { type: "object" } },
            { name: "announce", description: "Says the tool list changed", inputSchema: { type: "object" } },
          ],
        },
      });
      break;
    case "tools/call":
      if (message.params?.name === "announce") {
        send({ method: "notifications/tools/list_changed" });
        send({ id: message.id, result: { content: [{ type: "text", text: "announced" }] } });
        break;
      }
      calls.push(message.id);
      send({
        method: "notifications/progress",
        params: { progressToken: message.params?._meta?.progressToken ?? null, progress: 1 },
      });
      break;
    case "notifications/cancelled":
      send({
        method: "notifications/message",
        params: { level: "info", logger: "recorder", data: { cancelled: message.params?.requestId ?? null, calls } },
      });
      break;
    default:
      if (message.id !== undefined && message.method) {
        send({ id: message.id, error: { code: -32601, message: `no method ${message.method}` } });
      }
  }
});
