// Starts the project's OAuth fixture (tests/node/oauth-fixture.mjs: an oidc-provider
// authorization server and a protected MCP server, all on 127.0.0.1 and ephemeral ports) under
// Node 22, reads its one ready line of JSON, and offers its control API (`<issuer>/__fixture/...`:
// stats, forced expiry, server-side revocation). The fixture exits when its stdin closes, so
// `stop()` (or this process ending) cleans it up.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

const READY_DEADLINE_MS = 60_000;

export async function startOAuthFixture({ node, script, args = [], log = process.stderr }) {
  const child = spawn(node, [script, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  child.stderr.on("data", (d) => {
    if (process.env.LANYARD_FIXTURE_LOG) log.write(`[oauth-fixture] ${d}`);
  });
  const lines = createInterface({ input: child.stdout });
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the OAuth fixture printed no ready line within ${READY_DEADLINE_MS} ms`)), READY_DEADLINE_MS);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the OAuth fixture exited with ${code} before it was ready`));
    });
    lines.once("line", (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`the OAuth fixture's ready line is not JSON: ${line}`));
      }
    });
  });
  child.removeAllListeners("exit");

  const control = async (method, path, body) => {
    const res = await fetch(`${ready.control}/${path}`, {
      method,
      headers: body ? { "content-type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`fixture ${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    return res.json();
  };

  return {
    issuer: ready.issuer,
    mcp: ready.mcp,
    /** The service account the fixture registered: `client_id`, `client_secret`. */
    clientCredentials: ready.client_credentials,
    stats: () => control("GET", "stats"),
    /** `POST /__fixture/<path>` with a JSON body. */
    post: (path, body = {}) => control("POST", path, body),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.stdin.end();
      child.kill("SIGTERM");
      await exited;
    },
  };
}
