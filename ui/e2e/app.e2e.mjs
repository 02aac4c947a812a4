// End to end, in the real app window (Xvfb + tauri-driver + WebKitWebDriver): starting from an
// empty profile folder, add a stdio source for server-everything through the form, see it Ready,
// Test it and find `echo`, disable it, remove it. Screenshots of each state go to $SCREENS_DIR.
//
// Run through scripts/app-test.sh, which builds the app, installs tauri-driver and sets up the
// display, the keychain session and the temporary profile folder. Environment:
//   LANYARD_APP_BIN  the app binary          TAURI_DRIVER     the tauri-driver binary
//   EVERYTHING_JS    server-everything's dist/index.js      SCREENS_DIR  where screenshots go
//   LANYARD_CONFIG_DIR  must be an empty temporary folder
import assert from "node:assert/strict";
import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { startDriver } from "./driver.mjs";
import { DetailPage, FormPage, SourcesPage } from "./pages.mjs";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; run this through scripts/app-test.sh`);
  return value;
};
const app = env("LANYARD_APP_BIN");
const everything = env("EVERYTHING_JS");
const screens = env("SCREENS_DIR");
const configDir = env("LANYARD_CONFIG_DIR");

const steps = [];
const step = async (name, fn) => {
  const started = Date.now();
  process.stdout.write(`e2e: ${name} ... `);
  await fn();
  steps.push(name);
  console.log(`ok (${Date.now() - started} ms)`);
};

await mkdir(screens, { recursive: true });
assert.deepEqual(await readdir(configDir), [], "the test must start from an empty profile folder");

const driver = await startDriver({ tauriDriver: env("TAURI_DRIVER") });
let session;
try {
  session = await driver.session(app);
  const shot = (name) => session.screenshot(join(screens, `${name}.png`));
  let sources = new SourcesPage(session);

  await step("the window opens on an empty sources list", async () => {
    await sources.open();
    await session.waitFor("the empty state", () => sources.isEmpty());
    await shot("01-empty");
  });

  await step("the form shows inline errors for a missing command", async () => {
    const form = await sources.add();
    await form.fill("field-id", "everything");
    await form.save();
    const message = await session.waitFor("the command error", () => form.error("command"));
    assert.match(message, /program/, "a stdio source without a command must be refused inline");
    await shot("02-form-error");
  });

  await step("adding a stdio source for server-everything lists it as Ready", async () => {
    const form = new FormPage(session);
    await form.addStdio({ id: "everything", name: "Everything", command: process.execPath, args: [everything] });
    await form.save();
    sources = await new SourcesPage(session).open();
    const badge = await session.waitFor("the new row", () => sources.badge("everything"));
    assert.equal(badge, "ready", "a new stdio source without secrets is ready to connect");
    assert.equal(await sources.badgeText("everything"), "Ready");
    await shot("03-ready");
  });

  await step("Test lists the tools through the engine, echo among them", async () => {
    const detail = await sources.openSource("everything");
    await detail.test();
    const tools = await session.waitFor(
      "the tool list",
      async () => {
        const error = await detail.lastError();
        if (error) throw new Error(`Test failed: ${error}`);
        const names = await detail.toolNames();
        return names.length ? names : null;
      },
      45_000,
    );
    assert.ok(tools.includes("echo"), `server-everything offers echo; the list was ${tools.join(", ")}`);
    assert.equal(await detail.badge(), "connected", "a successful Test shows Connected");
    await shot("04-tools");
  });

  await step("disabling shows Disabled in the detail and the list", async () => {
    const detail = new DetailPage(session);
    await detail.toggleEnabled();
    await session.waitFor("the Disabled badge", async () => (await detail.badge()) === "disabled");
    sources = await detail.back();
    await session.waitFor("the Disabled row", async () => (await sources.badge("everything")) === "disabled");
    await shot("05-disabled");
  });

  await step("removing it empties the list again", async () => {
    const detail = await sources.openSource("everything");
    await detail.remove();
    sources = await new SourcesPage(session).open();
    await session.waitFor("the empty state", () => sources.isEmpty());
    assert.equal(await sources.badge("everything"), null, "the removed source must not be listed");
  });

  console.log(`e2e: ${steps.length} steps passed; screenshots in ${screens}`);
} finally {
  await session?.delete();
  await driver.stop();
}
