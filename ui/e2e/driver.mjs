// Starts tauri-driver on free loopback ports and opens a session on the Lanyard app binary.
// tauri-driver starts WebKitWebDriver, which starts the app with TAURI_WEBVIEW_AUTOMATION=true;
// the app inherits the driver's environment (by default this process's: LANYARD_CONFIG_DIR, the
// keychain session, DISPLAY).
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { Session, sleep } from "./webdriver.mjs";

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function startDriver({ tauriDriver, log = process.stderr, env = process.env }) {
  const port = await freePort();
  const nativePort = await freePort();
  const child = spawn(tauriDriver, ["--port", String(port), "--native-port", String(nativePort)], {
    stdio: ["ignore", "pipe", "pipe"],
    env,
  });
  child.stdout.on("data", (d) => log.write(`[tauri-driver] ${d}`));
  child.stderr.on("data", (d) => log.write(`[tauri-driver] ${d}`));
  const base = `http://127.0.0.1:${port}`;
  const until = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`tauri-driver exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${base}/status`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error("tauri-driver did not answer /status within 20 s");
    await sleep(100);
  }
  return {
    base,
    child,
    async session(application) {
      return Session.create(base, { "tauri:options": { application } });
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await new Promise((resolve) => child.once("exit", resolve));
      }
    },
  };
}
