// The desktop's notification service for the E2E: a real dunst, started on this process's D-Bus
// session (scripts/with-keychain.sh's private bus, which the app inherits through tauri-driver)
// and on the Xvfb display. The app sends its notifications through tauri-plugin-notification,
// which on Linux is notify-rust calling org.freedesktop.Notifications.Notify on the session bus;
// so whatever the app sends lands here and can be counted, instead of vanishing on a bus without
// a notification service.
//
// Why the name is checked, not just the process: dunst's package installs a D-Bus activation file
// for org.freedesktop.Notifications, so a call made before our dunst owns the name would start
// another dunst from the bus (without the display), and ours would lose the name and exit. So
// `start` waits until the name's owner is the process it started, asking the bus itself
// (NameHasOwner / GetConnectionUnixProcessID never activate anything).
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { sleep } from "./webdriver.mjs";

const NAME = "org.freedesktop.Notifications";
const READY_DEADLINE_MS = 10_000;
/** Nothing is dropped from the history, nothing waits behind a display limit. */
const CONFIG = "[global]\n    history_length = 1000\n    notification_limit = 0\n";

const run = async (file, args) => (await promisify(execFile)(file, args)).stdout;

/** Asks the bus daemon itself (never the name's owner, so nothing gets activated). */
const busCall = (method, ...args) =>
  run("dbus-send", [
    "--session",
    "--print-reply=literal",
    "--dest=org.freedesktop.DBus",
    "/org/freedesktop/DBus",
    `org.freedesktop.DBus.${method}`,
    ...args,
  ]);

/** The PID of the process that owns the notification service's name, or null. */
async function ownerPid() {
  if (!/true/.test(await busCall("NameHasOwner", `string:${NAME}`))) return null;
  const answer = await busCall("GetConnectionUnixProcessID", `string:${NAME}`);
  return Number(answer.trim().split(/\s+/).pop());
}

/** The value of one variable in the environment of process `pid`, or null. */
export async function environmentOf(pid, name) {
  const entries = (await readFile(`/proc/${pid}/environ`, "utf8")).split("\0");
  const entry = entries.find((e) => e.startsWith(`${name}=`));
  return entry === undefined ? null : entry.slice(name.length + 1);
}

export async function startNotificationDaemon({ log = process.stderr } = {}) {
  const bus = process.env.DBUS_SESSION_BUS_ADDRESS;
  assert.ok(bus, "no D-Bus session: run this through scripts/with-keychain.sh");
  assert.ok(process.env.DISPLAY, "no X display: run this under xvfb-run");
  assert.equal(await ownerPid(), null, `something already serves ${NAME} on the test's bus`);

  const dir = await mkdtemp(join(tmpdir(), "lanyard-dunst-"));
  const config = join(dir, "dunstrc");
  await writeFile(config, CONFIG);
  const child = spawn("dunst", ["-config", config], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.on("data", (d) => log.write(`[dunst] ${d}`));
  child.stderr.on("data", (d) => log.write(`[dunst] ${d}`));
  const until = Date.now() + READY_DEADLINE_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dunst exited with ${child.exitCode} before it served ${NAME}`);
    const pid = await ownerPid();
    if (pid === child.pid) break;
    if (pid !== null) throw new Error(`${NAME} is served by PID ${pid}, not by the dunst started here (${child.pid})`);
    if (Date.now() > until) throw new Error(`dunst did not take ${NAME} within ${READY_DEADLINE_MS} ms`);
    await sleep(100);
  }

  return {
    bus,
    pid: child.pid,
    /**
     * Every notification received so far, oldest first, as `{ appname, summary, body }`. Closes
     * the ones on screen first, so that all of them are in dunst's history.
     */
    async received() {
      assert.equal(await ownerPid(), child.pid, `the dunst started here must still serve ${NAME}`);
      await run("dunstctl", ["close-all"]);
      const counts = await run("dunstctl", ["count"]);
      assert.match(counts, /Currently displayed: 0\b/, `close-all must leave nothing on screen: ${counts}`);
      assert.match(counts, /Waiting: 0\b/, `nothing may wait behind the display: ${counts}`);
      const history = JSON.parse(await run("dunstctl", ["history"]));
      const text = (n, key) => n[key]?.data ?? "";
      return history.data[0]
        .map((n) => ({ id: n.id.data, appname: text(n, "appname"), summary: text(n, "summary"), body: text(n, "body") }))
        .sort((a, b) => a.id - b.id)
        .map(({ appname, summary, body }) => ({ appname, summary, body }));
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await new Promise((resolve) => child.once("exit", resolve));
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
