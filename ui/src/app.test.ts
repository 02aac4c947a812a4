import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { SourceView } from "./api";
import { setInvoke } from "./api/call";
import { setListen } from "./api/events";
import { App } from "./app";
import { connected, needsSignIn, source, tokens } from "./lib/fixtures";

// The App's moves against a fake shell: which commands run, when status is read again, and what
// the events do. The views themselves are tested in their own folders.
describe("App, signing in", () => {
  let status: SourceView[];
  let reads: number;
  let calls: { command: string; args?: Record<string, unknown> }[];
  let finishSignIn: ((value: unknown) => void) | undefined;
  let failSignIn: ((reason: unknown) => void) | undefined;
  const handlers = new Map<string, (payload: unknown) => void>();
  let root: HTMLElement;

  beforeEach(async () => {
    vi.useFakeTimers();
    status = [needsSignIn()];
    reads = 0;
    calls = [];
    handlers.clear();
    setInvoke(async (command, args) => {
      calls.push({ command, args });
      switch (command) {
        case "list_sources":
          reads += 1;
          return structuredClone(status);
        case "sign_in":
          return new Promise((resolve, reject) => {
            finishSignIn = resolve;
            failSignIn = reject;
          });
        case "cancel_sign_in":
          failSignIn?.({ kind: "Cancelled", message: "the sign-in of `github` was cancelled" });
          return true;
        case "set_health":
        case "notify_sign_in_needed":
          return null;
        case "start_at_login":
          return false;
        case "hub_status":
          return { kind: "running", address: "127.0.0.1:7587" };
        default:
          throw new Error(`unexpected command ${command}`);
      }
    });
    setListen(async (name, handler) => {
      handlers.set(name, handler);
      return () => handlers.delete(name);
    });
    root = document.createElement("div");
    document.body.replaceChildren(root);
    await new App(root).start();
  });
  afterEach(() => vi.useRealTimers());

  const row = () => root.querySelector<HTMLElement>('[data-testid="source-row-github"]')!;
  const action = () => row().querySelector<HTMLButtonElement>('[data-testid="source-action"]')!;

  it("Connect waits for the browser, then shows Connected after one status read", async () => {
    expect(action().dataset.action).toBe("connect");
    const before = reads;
    action().click();
    handlers.get("signInWaiting")!({ id: "github", url: "https://as.example/auth" });
    expect(row().dataset.state, "the badge follows the sign-in at once").toBe("signing-in");
    expect(action().disabled, "no second sign-in while one runs").toBe(true);

    status = [connected()];
    handlers.get("sourcesChanged")!({ id: "github" });
    finishSignIn!(tokens());
    await vi.waitFor(() => expect(row().dataset.state).toBe("connected"));
    expect(reads - before, "this window's own change is read once, not once more for its event").toBe(1);
    expect(root.querySelector('[data-testid="notice"]')?.textContent).toBe("Signed in as alice@example.com.");
  });

  it("Cancel stops a waiting sign-in: Connect is offered again, no error shown", async () => {
    row().querySelector<HTMLElement>('[data-testid="source-open"]')!.click();
    await vi.waitFor(() => expect(root.querySelector('[data-testid="detail-view"]')).not.toBeNull());
    root.querySelector<HTMLElement>('[data-testid="sign-in-action"]')!.click();
    handlers.get("signInWaiting")!({ id: "github", url: "https://as.example/auth" });
    root.querySelector<HTMLElement>('[data-testid="cancel-sign-in"]')!.click();
    await vi.waitFor(() => expect(root.querySelector('[data-testid="notice"]')?.textContent).toBe("Sign-in cancelled."));
    expect(calls.filter((c) => c.command === "cancel_sign_in").map((c) => c.args)).toEqual([{ id: "github" }]);
    expect(root.querySelector('[data-testid="sign-in-failed"]'), "a cancel is no failure").toBeNull();
    expect(root.querySelector<HTMLElement>('[data-testid="sign-in-action"]')?.dataset.action).toBe("connect");
  });

  it("the tray is told the health when it changes, not on every read", async () => {
    const told = () => calls.filter((c) => c.command === "set_health").map((c) => c.args?.health);
    expect(told(), "a source waits for its first sign-in").toEqual(["needsSignIn"]);
    status = [connected()];
    handlers.get("sourcesChanged")!({ id: "github" });
    await vi.waitFor(() => expect(told()).toEqual(["needsSignIn", "allGood"]));
    handlers.get("sourcesChanged")!({ id: "github" });
    await vi.waitFor(() => expect(reads).toBeGreaterThan(2));
    expect(told(), "the same health is not sent again").toEqual(["needsSignIn", "allGood"]);
  });

  it("a source that turns to needing a sign-in is notified once, not on every read", async () => {
    const notified = () => calls.filter((c) => c.command === "notify_sign_in_needed").map((c) => c.args?.names);
    status = [connected()];
    handlers.get("sourcesChanged")!({ id: "github" });
    await vi.waitFor(() => expect(row().dataset.state).toBe("connected"));
    expect(notified(), "signing in is no news").toEqual([]);
    status = [needsSignIn()];
    handlers.get("sourcesChanged")!({ id: "github" });
    await vi.waitFor(() => expect(notified()).toEqual([["GitHub"]]));
    const reads0 = reads;
    handlers.get("sourcesChanged")!({ id: "github" });
    await vi.waitFor(() => expect(reads).toBeGreaterThan(reads0));
    expect(notified(), "still needing it is not news either").toEqual([["GitHub"]]);
  });

  it("Start at login is read at start and offered, off", async () => {
    await vi.waitFor(() => expect(root.querySelector<HTMLInputElement>('[data-testid="start-at-login"]')?.checked).toBe(false));
  });

  it("a change made elsewhere (the shell's event) is read at once", async () => {
    const before = reads;
    status = [connected()];
    handlers.get("sourcesChanged")!({ id: "github" });
    await vi.waitFor(() => expect(row().dataset.state).toBe("connected"));
    expect(reads - before).toBe(1);
  });

  it("status is read again on a schedule, and the countdown ticks between reads", async () => {
    const now = Math.floor(Date.now() / 1000);
    status = [connected({ accessExpiresAt: now + 3600 })];
    handlers.get("sourcesChanged")!({ id: "github" });
    await vi.waitFor(() => expect(row().dataset.state).toBe("connected"));
    const before = reads;
    const expiry = () => row().querySelector('[data-testid="expiry"]')!.textContent;
    const first = expiry();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(expiry(), "the countdown moves without a read").not.toBe(first);
    expect(reads, "no read within the period").toBe(before);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(reads - before, "one read per period").toBe(1);
  });
});

describe("App, editing tool filters", () => {
  let calls: { command: string; args?: Record<string, unknown> }[];
  let root: HTMLElement;

  beforeEach(async () => {
    calls = [];
    setInvoke(async (command, args) => {
      calls.push({ command, args });
      switch (command) {
        case "list_sources":
          return [source()];
        case "tool_choices":
          return [
            { name: "echo", upstreamDescription: "Echoes", exposed: true, alias: null, description: null },
            { name: "add", upstreamDescription: null, exposed: true, alias: null, description: null },
          ];
        case "set_tool_choices":
        case "edit_source":
          return null;
        case "source_settings":
          return {
            id: "everything",
            name: "Everything",
            transport: { kind: "stdio", command: "node", args: ["server.js"], env: [{ name: "KEY", value: null, secret: true, set: true }], cwd: null },
            auth: { kind: "none" },
          };
        case "list_tools":
          return [{ name: "say", description: "Echoes" }];
        case "set_health":
          return null;
        case "hub_status":
          return { kind: "running", address: "127.0.0.1:7587" };
        default:
          throw new Error(`unexpected command ${command}`);
      }
    });
    setListen(async () => () => {});
    root = document.createElement("div");
    document.body.replaceChildren(root);
    await new App(root).start();
  });

  const q = <T extends HTMLElement = HTMLElement>(id: string) => root.querySelector<T>(`[data-testid="${id}"]`);

  it("lists the server's tools, saves the choices, then lists what agents see", async () => {
    q('source-row-everything"] [data-testid="source-open')!.click();
    await vi.waitFor(() => expect(q("detail-view")).not.toBeNull());
    q("edit-tools")!.click();
    await vi.waitFor(() => expect(q("tool-alias-echo")).not.toBeNull());
    const alias = q<HTMLInputElement>("tool-alias-echo")!;
    alias.value = "say";
    alias.dispatchEvent(new Event("input"));
    q<HTMLInputElement>("tool-exposed-add")!.click();
    q("save-tools")!.click();
    await vi.waitFor(() => expect(q("notice")?.textContent).toMatch(/Tool filters saved/));
    const saved = calls.find((c) => c.command === "set_tool_choices");
    expect(saved?.args).toEqual({
      id: "everything",
      choices: [
        { name: "echo", exposed: true, alias: "say", description: null },
        { name: "add", exposed: false, alias: null, description: null },
      ],
    });
    await vi.waitFor(() => expect(root.querySelector('[data-testid="tool"]')?.getAttribute("data-name")).toBe("say"));
    expect(q("edit-tools"), "the editor closes after saving").not.toBeNull();
  });
});

describe("App, editing a source", () => {
  let calls: { command: string; args?: Record<string, unknown> }[];
  let root: HTMLElement;

  beforeEach(async () => {
    calls = [];
    setInvoke(async (command, args) => {
      calls.push({ command, args });
      switch (command) {
        case "list_sources":
          return [source()];
        case "source_settings":
          return {
            id: "everything",
            name: "Everything",
            transport: { kind: "stdio", command: "node", args: ["server.js"], env: [{ name: "KEY", value: null, secret: true, set: true }], cwd: null },
            auth: { kind: "none" },
          };
        case "edit_source":
        case "set_health":
          return null;
        case "hub_status":
          return { kind: "running", address: "127.0.0.1:7587" };
        default:
          throw new Error(`unexpected command ${command}`);
      }
    });
    setListen(async () => () => {});
    root = document.createElement("div");
    document.body.replaceChildren(root);
    await new App(root).start();
  });

  const q = <T extends HTMLElement = HTMLInputElement>(id: string) => root.querySelector<T>(`[data-testid="${id}"]`);

  it("Edit fills the form from the saved settings; saving goes back to the detail with a notice", async () => {
    q('source-row-everything"] [data-testid="source-open')!.click();
    await vi.waitFor(() => expect(q("detail-view")).not.toBeNull());
    q("edit-source")!.click();
    await vi.waitFor(() => expect(q("source-form")).not.toBeNull());
    expect(q("field-command")!.value).toBe("node");
    expect(q("row-0-value")!.value, "the secret is never in the window").toBe("");
    const command = q("field-command")!;
    command.value = "node22";
    command.dispatchEvent(new Event("input"));
    q("source-form")!.dispatchEvent(new Event("submit", { cancelable: true }));
    await vi.waitFor(() => expect(q("notice")?.textContent).toMatch(/^Saved/));
    expect(q("detail-view"), "back in the detail").not.toBeNull();
    const sent = calls.find((c) => c.command === "edit_source")?.args?.source as { transport: unknown };
    expect(sent.transport).toEqual({
      kind: "stdio",
      command: "node22",
      args: ["server.js"],
      env: [{ name: "KEY", value: "", secret: true }],
      cwd: null,
    });
  });
});
