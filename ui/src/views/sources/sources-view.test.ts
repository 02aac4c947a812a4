import { describe, expect, it, vi } from "vitest";
import type { SourceView } from "../../api";
import type { SignInProgress, TestOutcome } from "../../lib/badge";
import { connected, disabled, needsSignIn, refreshFailing, signInExpired, source, waitingForApproval } from "../../lib/fixtures";
import { sourcesView, type SourcesProps } from "./sources-view";

function render(over: Partial<SourcesProps> = {}) {
  const props: SourcesProps = {
    sources: [],
    tests: new Map(),
    signIns: new Map(),
    now: 1_800_000_000,
    onOpen: vi.fn(),
    onMainAction: vi.fn(),
    onAdd: vi.fn(),
    onImport: vi.fn(),
    hub: null,
    onBridge: vi.fn(),
    onClients: vi.fn(),
    onCatalog: vi.fn(),
    outdated: [],
    onUpdate: vi.fn(),
    onAgents: vi.fn(),
    startAtLogin: false,
    onStartAtLogin: vi.fn(),
    ...over,
  };
  const el = sourcesView(props);
  document.body.replaceChildren(el);
  return { el, props };
}
const q = (el: HTMLElement, id: string) => el.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const row = (el: HTMLElement, id: string) => el.querySelector<HTMLElement>(`[data-testid="source-row-${id}"]`)!;

describe("sources view", () => {
  it("a source waiting for approval is marked, shows its command, and its action opens the detail", () => {
    const { el, props } = render({ sources: [waitingForApproval(), disabled()] });
    const waiting = row(el, "from-repo");
    expect(waiting.dataset.state).toBe("waiting-for-approval");
    expect(q(waiting, "source-badge")?.textContent).toBe("Waiting for your approval");
    expect(q(waiting, "row-approval")?.textContent).toContain("node 'my server.js' --token-file a");
    expect(q(waiting, "source-action")?.dataset.action, "approved where the command shows in full").toBe("details");
    q(waiting, "source-action")!.click();
    expect(props.onMainAction).toHaveBeenCalledWith(expect.objectContaining({ id: "from-repo" }));
    expect(q(row(el, "everything"), "row-approval"), "one the person switched off waits for nobody").toBeNull();
    expect(row(el, "everything").dataset.state).toBe("disabled");
  });

  it("empty: says so and still offers Add and Import", () => {
    const { el, props } = render();
    expect(q(el, "sources-empty")?.textContent).toContain("No sources yet");
    q(el, "add-source")!.click();
    expect(props.onAdd).toHaveBeenCalled();
    expect(q(el, "import-form")).not.toBeNull();
  });

  it("Clients opens the Clients view, Agents the Agents view", () => {
    const { el, props } = render();
    q(el, "open-clients")!.click();
    expect(props.onClients).toHaveBeenCalled();
    q(el, "open-agents")!.click();
    expect(props.onAgents).toHaveBeenCalled();
  });

  it("the Catalogue is reachable from the bar and from the empty list", () => {
    const { el, props } = render();
    q(el, "open-catalog")!.click();
    q(el, "empty-catalog")!.click();
    expect(props.onCatalog).toHaveBeenCalledTimes(2);
  });

  it("a source whose registry entry has a newer version says so and opens it", () => {
    const update = { id: "echo", registry: "https://r.example", name: "io.github.o/echo", current: "1.0.0", latest: "1.1.0" };
    const { el, props } = render({ sources: [source({ id: "echo" }), source({ id: "other" })], outdated: [update] });
    const line = row(el, "echo").querySelector<HTMLElement>('[data-testid="row-update"]')!;
    expect(line.textContent).toContain("Version 1.1.0 is out (this is 1.0.0)");
    expect(row(el, "other").querySelector('[data-testid="row-update"]'), "only the outdated source").toBeNull();
    line.querySelector<HTMLElement>('[data-testid="row-update-open"]')!.click();
    expect(props.onUpdate).toHaveBeenCalledWith(update);
  });

  it("Start at login: shown as it is set, off by default, and toggled", () => {
    const { el, props } = render({ startAtLogin: false });
    const box = el.querySelector<HTMLInputElement>('[data-testid="start-at-login"]')!;
    expect(box.checked).toBe(false);
    box.click();
    expect(props.onStartAtLogin).toHaveBeenCalledWith(true);
    expect(render({ startAtLogin: null }).el.querySelector('[data-testid="start-at-login"]'), "unknown: not offered").toBeNull();
  });

  it("loading: shows a placeholder, not the empty state", () => {
    const { el } = render({ sources: null });
    expect(q(el, "sources-loading")).not.toBeNull();
    expect(q(el, "sources-empty")).toBeNull();
  });

  it("ready: a row with name, transport, badge Ready and Test as main action", () => {
    const s = source();
    const { el, props } = render({ sources: [s] });
    const r = row(el, "everything");
    expect(r.querySelector('[data-testid="source-open"]')?.textContent).toBe("Everything");
    expect(r.querySelector('[data-testid="source-transport"]')?.textContent).toBe("stdio");
    expect(r.querySelector('[data-testid="source-badge"]')?.textContent).toBe("Ready");
    const action = r.querySelector<HTMLButtonElement>('[data-testid="source-action"]')!;
    expect(action.textContent).toBe("Test");
    action.click();
    expect(props.onMainAction).toHaveBeenCalledWith(s);
  });

  it("tools changed: the row says so while a change waits, not once it is only rejected", () => {
    const change = { name: "echo", change: "changed" as const, renamed_from: null, seen_at: 1, diff: [], flags: [] };
    const waiting = render({ sources: [source({ toolChanges: [{ ...change, decision: "waiting" }] })] }).el;
    expect(row(waiting, "everything").querySelector('[data-testid="tools-changed"]')?.textContent).toBe("Tools changed");
    const rejected = render({ sources: [source({ toolChanges: [{ ...change, decision: "rejected" }] })] }).el;
    expect(row(rejected, "everything").querySelector('[data-testid="tools-changed"]')).toBeNull();
    expect(row(render({ sources: [source()] }).el, "everything").querySelector('[data-testid="tools-changed"]')).toBeNull();
  });

  it("connected: after a successful Test the badge says Connected", () => {
    const tests = new Map<string, TestOutcome>([["everything", { kind: "ok", tools: [], at: new Date() }]]);
    const { el } = render({ sources: [source()], tests });
    expect(row(el, "everything").dataset.state).toBe("connected");
  });

  it("testing: the main action is disabled while a Test runs", () => {
    const tests = new Map<string, TestOutcome>([["everything", { kind: "running" }]]);
    const { el } = render({ sources: [source()], tests });
    const action = row(el, "everything").querySelector<HTMLButtonElement>('[data-testid="source-action"]')!;
    expect(action.disabled).toBe(true);
    expect(action.textContent).toBe("Testing…");
  });

  it("needs sign-in, disabled and error rows each show their own badge and action", () => {
    const failed = new Map<string, TestOutcome>([
      ["broken", { kind: "failed", error: { kind: "Unreachable", message: "refused" }, at: new Date() }],
    ]);
    const sources: SourceView[] = [needsSignIn(), { ...disabled(), id: "off" }, source({ id: "broken", name: "Broken" })];
    const { el } = render({ sources, tests: failed });
    expect(row(el, "github").dataset.state).toBe("needs-sign-in");
    expect(row(el, "github").querySelector('[data-testid="source-action"]')?.textContent).toBe("Connect");
    expect(row(el, "off").dataset.state).toBe("disabled");
    expect(row(el, "off").querySelector('[data-testid="source-action"]')?.textContent).toBe("Enable");
    expect(row(el, "broken").dataset.state).toBe("error");
  });

  it("error: a failed load shows the message and what to do for its kind", () => {
    const { el } = render({ error: { kind: "KeychainLocked", message: "the Secret Service is locked" } });
    const banner = q(el, "error-banner")!;
    expect(banner.dataset.kind).toBe("KeychainLocked");
    expect(banner.textContent).toContain("the Secret Service is locked");
    expect(banner.textContent).toContain("Unlock your keychain");
  });

  it("error: no keychain at all is not called locked (issue 17)", () => {
    const { el } = render({ error: { kind: "NoKeychain", message: "no Secret Service is reachable" } });
    const banner = q(el, "error-banner")!;
    expect(banner.dataset.kind).toBe("NoKeychain");
    expect(banner.textContent, "nothing to unlock").not.toContain("Unlock");
    expect(banner.textContent, "the keychain that works headless").toContain("LANYARD_KEYCHAIN=keyutils");
  });

  it("import: submits the typed path and shows what was added and skipped", () => {
    const { el, props } = render({ imported: { added: ["a"], skipped: [{ name: "b", reason: "exists" }], waiting_for_approval: ["a"], waiting_said: "Made-up words about a." } });
    (q(el, "import-path") as HTMLInputElement).value = " /tmp/claude.json ";
    q(el, "import-form")!.dispatchEvent(new Event("submit", { cancelable: true }));
    expect(props.onImport).toHaveBeenCalledWith("/tmp/claude.json");
    expect(q(el, "import-result")?.textContent).toContain("Imported 1 source(s): a");
    expect(q(el, "import-result")?.textContent).toContain("Skipped b: exists");
    expect(q(el, "import-waiting")?.textContent, "a stdio server imported waits, and the import says so").toBe("Made-up words about a.");
  });

  it("connected with sign-in: countdown, scopes and account under the row, Disconnect as action", () => {
    const s = connected({ accessExpiresAt: 1_800_000_250 });
    const { el, props } = render({ sources: [s] });
    const r = row(el, "github");
    expect(r.dataset.state).toBe("connected");
    expect(r.querySelector('[data-testid="expiry"]')?.textContent).toBe("expires in 4m 10s");
    expect(r.querySelector<HTMLElement>('[data-testid="scopes"]')?.dataset.scopes).toBe("mcp:read mcp:write");
    expect(r.querySelector('[data-testid="account"]')?.textContent).toBe("alice@example.com");
    const action = r.querySelector<HTMLButtonElement>('[data-testid="source-action"]')!;
    expect(action.dataset.action).toBe("disconnect");
    action.click();
    expect(props.onMainAction).toHaveBeenCalledWith(s);
  });

  it("a source without tokens has no token line", () => {
    const { el } = render({ sources: [source()] });
    expect(row(el, "everything").querySelector('[data-testid="token-line"]')).toBeNull();
  });

  it("sign-in expired: Reconnect, and the last error with its hint under the row", () => {
    const { el } = render({ sources: [signInExpired()] });
    const r = row(el, "github");
    expect(r.dataset.state).toBe("needs-sign-in");
    expect(r.querySelector<HTMLElement>('[data-testid="source-action"]')?.dataset.action).toBe("reconnect");
    expect(r.querySelector('[data-testid="row-token-error-message"]')?.textContent).toContain("invalid_grant");
    expect(r.querySelector('[data-testid="row-token-error-hint"]')?.textContent).toBe(
      " (click Reconnect to sign in with your browser)",
    );
  });

  it("refresh failing: the badge counts down to the engine's next try, with the last error under the row", () => {
    const now = 1_800_000_000;
    const { el } = render({ sources: [refreshFailing(2, now + 83)], now });
    const r = row(el, "github");
    expect(r.dataset.state).toBe("error");
    expect(r.querySelector('[data-testid="source-badge"]')?.textContent).toBe("Error, retrying in 1:23");
    expect(r.querySelector('[data-testid="row-token-error-message"]')?.textContent).toContain("unreachable");
    const late = render({ sources: [refreshFailing(2, now - 1)], now });
    expect(row(late.el, "github").querySelector('[data-testid="source-badge"]')?.textContent).toBe(
      "Error, retrying on next use",
    );
  });

  it("signing in: the row waits for the browser and its action is off", () => {
    const signIns = new Map<string, SignInProgress>([["github", { kind: "waiting", url: "https://as.example/auth" }]]);
    const { el } = render({ sources: [needsSignIn()], signIns });
    const r = row(el, "github");
    expect(r.dataset.state).toBe("signing-in");
    expect(r.querySelector('[data-testid="row-waiting"]')).not.toBeNull();
    const action = r.querySelector<HTMLButtonElement>('[data-testid="source-action"]')!;
    expect(action.disabled, "a second click must not start a second sign-in").toBe(true);
    expect(action.textContent).toBe("Waiting for the browser…");
  });

  it("a notice (what Disconnect did) is announced", () => {
    const { el } = render({ sources: [needsSignIn()], notice: "Disconnected: revoked." });
    expect(q(el, "notice")?.getAttribute("role")).toBe("status");
    expect(q(el, "notice")?.textContent).toBe("Disconnected: revoked.");
  });
});
