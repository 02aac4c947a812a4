// `lanyard-test-server conformance --only-2026-07-28 --request-log=FILE`: a server of the
// 2026-07-28 revision alone (it answers `server/discover` and refuses `initialize`), with its own
// log of each request's JSON-RPC method and `MCP-Protocol-Version` header, and of each
// `initialize` as it answered it (testkit/src/request_log.rs). The log is the witness of the
// revision a client spoke.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

/** Starts the server on a free loopback port; resolves once it names its URL. */
export async function startModernServer(bin) {
  const dir = await mkdtemp(join(tmpdir(), "modern-server-"));
  const log = join(dir, "requests.jsonl");
  const child = spawn(bin, ["conformance", "--only-2026-07-28", `--request-log=${log}`], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("lanyard-test-server did not name its URL within 15 s")), 15_000);
    child.once("exit", (code) => reject(new Error(`lanyard-test-server exited (${code}) before naming its URL`)));
    createInterface({ input: child.stdout }).once("line", (line) => {
      clearTimeout(timer);
      const url = line.trim().replace(/^listening on /, "");
      if (url === line.trim()) reject(new Error(`unexpected first line: ${line}`));
      else resolve(url);
    });
  });
  return {
    url,
    /** The request log so far, one object per line. */
    async requests() {
      const text = await readFile(log, "utf8");
      return text.split("\n").filter(Boolean).map((line) => JSON.parse(line));
    },
    stop() {
      child.kill();
      void rm(dir, { recursive: true, force: true });
    },
  };
}
