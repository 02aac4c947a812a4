// An MCP agent built on the official TypeScript SDK, for Lanyard's bridge tests.
//
//   node bridge-agent.mjs '<json plan>'
//
// The plan says how to connect and what to do:
//   { "stdio": { "command": "...", "args": [...] } }  or  { "http": { "url": "...", "token": "..." } }
//   (or { "http": { "url": "...", "headers": {...} } }: exactly these headers on every request)
//   "echo":    { "tool": "echo", "message": "hi" }        call a tool that echoes
//   "hidden":  "tool-name"                              call a tool that should be refused
//   "progress": { "tool": "trigger-long-running-operation", "arguments": {...} }
//   "sampling": { "tool": "trigger-sampling-request", "arguments": {...} }
//   "logging": { "tool": "toggle-simulated-logging" }    call it, then wait for the first log message
//   "unknown": "some/method"                            send a request no server knows
//   "calls":   [{ "tool": "t", "arguments": {...} }]   call each tool; report text, isError or error
//              { "wait_ms": 5000 } in the list waits that long on the same session first
//   "prompt":  { "name": "p", "arguments": {...} }     list prompts, then get this one (text or error)
//   "resources": ["uri", ...]                          list resources, then read each
//   "templates": true                                  list the resource templates (by URI template)
//   "listen":  { "ready_file": "path" }                after the first list, write the file, wait for
//              notifications/tools/list_changed, then list the tools again (in "listen": {tools})
// It prints one JSON object with what happened, e.g. {"tools": [...], "echo": "hi", ...}, and
// exits 0; an unexpected failure prints {"fatal": "..."} and exits 1. Everything passes the
// process environment on, so the Rust test controls LANYARD_CONFIG_DIR and friends.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { writeFileSync } from "node:fs";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CreateMessageRequestSchema,
  LoggingMessageNotificationSchema,
  ToolListChangedNotificationSchema,
  ResultSchema,
} from "@modelcontextprotocol/sdk/types.js";

const SAMPLING_REPLY = "sampled by the bridge-agent";

const plan = JSON.parse(process.argv[2] ?? "{}");
const out = {};

function errorOf(err) {
  return { code: err?.code ?? null, message: String(err?.message ?? err) };
}

async function main() {
  const client = new Client(
    { name: "lanyard-bridge-agent", version: "1.0.0" },
    { capabilities: { sampling: {} } },
  );
  client.setRequestHandler(CreateMessageRequestSchema, async () => ({
    model: "bridge-agent",
    role: "assistant",
    content: { type: "text", text: SAMPLING_REPLY },
  }));
  // Log messages, kept from the start; `logging` waits for the first.
  const logs = [];
  let logged = null;
  const firstLog = new Promise((resolve) => {
    logged = resolve;
  });
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logs.push(n.params);
    logged();
  });
  // Tool list changes, kept from the start; `listen` waits for the first.
  let toolsChanged = null;
  const firstToolsChange = new Promise((resolve) => {
    toolsChanged = resolve;
  });
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => toolsChanged());
  let transport;
  if (plan.stdio) {
    transport = new StdioClientTransport({
      command: plan.stdio.command,
      args: plan.stdio.args ?? [],
      env: { ...process.env },
      stderr: "inherit",
    });
  } else if (plan.http) {
    const headers =
      plan.http.headers ?? (plan.http.token ? { Authorization: `Bearer ${plan.http.token}` } : {});
    transport = new StreamableHTTPClientTransport(new URL(plan.http.url), { requestInit: { headers } });
  } else {
    throw new Error("the plan needs `stdio` or `http`");
  }
  await client.connect(transport);
  out.server = client.getServerVersion()?.name ?? null;

  const listed = await client.listTools();
  out.tools = listed.tools.map((t) => t.name);
  out.descriptions = Object.fromEntries(listed.tools.map((t) => [t.name, t.description ?? null]));

  if (plan.echo) {
    const result = await client.callTool({ name: plan.echo.tool, arguments: { message: plan.echo.message } });
    out.echo = result.content?.[0]?.text ?? null;
  }
  if (plan.hidden) {
    try {
      await client.callTool({ name: plan.hidden, arguments: {} });
      out.hidden = { called: true };
    } catch (err) {
      out.hidden = errorOf(err);
    }
  }
  if (plan.progress) {
    const seen = [];
    const result = await client.callTool(
      { name: plan.progress.tool, arguments: plan.progress.arguments ?? {} },
      undefined,
      { onprogress: (p) => seen.push(p.progress) },
    );
    out.progress = { notifications: seen, text: result.content?.[0]?.text ?? null };
  }
  if (plan.sampling) {
    const result = await client.callTool({ name: plan.sampling.tool, arguments: plan.sampling.arguments ?? {} });
    out.sampling = result.content?.[0]?.text ?? null;
  }
  if (plan.logging) {
    await client.callTool({ name: plan.logging.tool, arguments: plan.logging.arguments ?? {} });
    // The test's own deadline bounds this wait.
    await firstLog;
    out.logging = { logger: logs[0]?.logger ?? null, level: logs[0]?.level ?? null };
  }
  if (plan.unknown) {
    try {
      await client.request({ method: plan.unknown, params: {} }, ResultSchema);
      out.unknown = { answered: true };
    } catch (err) {
      out.unknown = errorOf(err);
    }
  }
  if (plan.calls) {
    out.calls = [];
    for (const call of plan.calls) {
      if (call.wait_ms) {
        await new Promise((resolve) => setTimeout(resolve, call.wait_ms));
        continue;
      }
      try {
        const result = await client.callTool({ name: call.tool, arguments: call.arguments ?? {} });
        out.calls.push({ text: result.content?.[0]?.text ?? null, isError: result.isError ?? false });
      } catch (err) {
        out.calls.push({ error: errorOf(err) });
      }
    }
  }
  if (plan.prompt) {
    out.prompts = (await client.listPrompts()).prompts.map((p) => p.name);
    try {
      const got = await client.getPrompt({ name: plan.prompt.name, arguments: plan.prompt.arguments ?? {} });
      out.prompt = got.messages?.[0]?.content?.text ?? null;
    } catch (err) {
      out.prompt = errorOf(err);
    }
  }
  if (plan.templates) {
    out.templates = (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
  }
  if (plan.resources) {
    out.resourceList = (await client.listResources()).resources.map((r) => r.uri);
    out.read = {};
    for (const uri of plan.resources) {
      try {
        const read = await client.readResource({ uri });
        out.read[uri] = read.contents?.[0]?.text ?? null;
      } catch (err) {
        out.read[uri] = errorOf(err);
      }
    }
  }
  if (plan.listen) {
    writeFileSync(plan.listen.ready_file, "listed\n");
    // The test's own deadline bounds this wait.
    await firstToolsChange;
    out.listen = { tools: (await client.listTools()).tools.map((t) => t.name) };
  }
  await client.close();
}

main().then(
  () => {
    process.stdout.write(JSON.stringify(out) + "\n");
    process.exit(0);
  },
  (err) => {
    process.stdout.write(JSON.stringify({ ...out, fatal: String(err?.stack ?? err) }) + "\n");
    process.exit(1);
  },
);
