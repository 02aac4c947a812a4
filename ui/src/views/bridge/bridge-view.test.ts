import { describe, expect, it, vi } from "vitest";
import type { IdeConfigView } from "../../api";
import { disabled, source } from "../../lib/fixtures";
import { cliMissingLine } from "../../lib/bridge";
import { bridgeView, type BridgeProps } from "./bridge-view";

const running = { kind: "running", address: "127.0.0.1:7587" } as const;

function config(over: Partial<IdeConfigView> = {}): IdeConfigView {
  return {
    client: "claudeDesktop",
    snippet: '{\n  "mcpServers": {\n    "everything": { "command": "/opt/lanyard", "args": ["bridge", "everything"] }\n  }\n}',
    cli: { kind: "found", path: "/opt/lanyard" },
    configPath: "/home/a/.config/Claude/claude_desktop_config.json",
    sources: 1,
    ...over,
  };
}

function render(over: Partial<BridgeProps> = {}) {
  const props: BridgeProps = {
    hub: running,
    sources: [source(), disabled()],
    token: { kind: "hidden" },
    client: "claudeDesktop",
    config: { kind: "ready", config: config() },
    onBack: vi.fn(),
    onReveal: vi.fn(),
    onHide: vi.fn(),
    onCopy: vi.fn(),
    onPickClient: vi.fn(),
    onWrite: vi.fn(),
    agents: { recentMinutes: 10, routes: [] },
    onRefreshAgents: vi.fn(),
    ...over,
  };
  const el = bridgeView(props);
  document.body.replaceChildren(el);
  return { el, props };
}
const q = (el: HTMLElement, id: string) => el.querySelector<HTMLElement>(`[data-testid="${id}"]`);

describe("bridge view", () => {
  it("connected agents: none, then per route, and Refresh; not while the hub is down", () => {
    const { el, props } = render();
    expect(q(el, "agents-none")?.textContent).toBe("No agent has used the bridge in the last 10 minutes.");
    q(el, "refresh-agents")!.click();
    expect(props.onRefreshAgents).toHaveBeenCalled();
    const some = render({
      agents: { recentMinutes: 10, routes: [{ source: null, sessions: 1 }, { source: "everything", sessions: 2 }] },
    }).el;
    const routes = [...some.querySelectorAll<HTMLElement>('[data-testid="agent-route"]')];
    expect(routes.map((r) => [r.dataset.source, r.dataset.sessions])).toEqual([
      ["merged", "1"],
      ["everything", "2"],
    ]);
    expect(routes[1]!.textContent).toBe("everything: 2 sessions");
    expect(q(render({ hub: { kind: "starting" } }).el, "agents"), "no hub, no agents").toBeNull();
  });

  it("running: the merged address and one address per enabled source", () => {
    const { el } = render();
    expect(q(el, "hub-badge")?.dataset.code).toBe("running");
    expect(q(el, "hub-address")?.textContent).toBe("http://127.0.0.1:7587/mcp");
    const urls = [...el.querySelectorAll<HTMLElement>('[data-testid="source-url"]')].map((u) => u.textContent);
    expect(urls, "the disabled source is not served").toEqual(["http://127.0.0.1:7587/mcp/everything"]);
    expect(q(el, "hub-failed")).toBeNull();
  });

  it("starting: no address yet", () => {
    const { el } = render({ hub: null });
    expect(q(el, "hub-badge")?.dataset.code).toBe("starting");
    expect(q(el, "hub-address")).toBeNull();
  });

  it("port taken: says so, why, and what to do; no address", () => {
    const message = "port 7587 on 127.0.0.1 is already in use, most likely by `lanyard serve`";
    const advice = "Stop what holds port 7587, in the engine's words.";
    const { el } = render({ hub: { kind: "failed", reason: { kind: "portTaken", port: 7587 }, message, advice } });
    expect(q(el, "hub-badge")?.dataset.code).toBe("port-taken");
    expect(q(el, "hub-failed-message")?.textContent).toBe(message);
    expect(q(el, "hub-advice")?.textContent, "the engine's advice, as it is").toBe(advice);
    expect(q(el, "hub-address")).toBeNull();
  });

  it("the token is hidden until Reveal, and nothing of it is in the page", () => {
    const { el, props } = render();
    expect(q(el, "bridge-token")).toBeNull();
    expect(q(el, "copy-token"), "nothing to copy while hidden").toBeNull();
    q(el, "reveal-token")!.click();
    expect(props.onReveal).toHaveBeenCalled();
  });

  it("revealed: the token with Hide and Copy", () => {
    const { el, props } = render({ token: { kind: "shown", token: "abc123" } });
    expect(q(el, "bridge-token")?.textContent).toBe("abc123");
    q(el, "copy-token")!.click();
    expect(props.onCopy).toHaveBeenCalledWith("token", "abc123");
    q(el, "hide-token")!.click();
    expect(props.onHide).toHaveBeenCalled();
  });

  it("a failed reveal shows the error, e.g. a locked keychain", () => {
    const { el } = render({ token: { kind: "failed", error: { kind: "KeychainLocked", message: "locked" } } });
    expect(q(el, "token-error")?.dataset.kind).toBe("KeychainLocked");
    expect(q(el, "bridge-token")).toBeNull();
  });

  it("config shown: the snippet, the program it runs, Copy and Write to config", () => {
    const { el, props } = render({ copied: { what: "snippet", ok: true } });
    expect(q(el, "ide-snippet")?.textContent).toContain('"mcpServers"');
    expect(q(el, "cli")?.dataset.cli).toBe("found");
    expect(q(el, "client-claudeDesktop")?.getAttribute("aria-pressed")).toBe("true");
    expect(q(el, "copied-snippet")?.textContent).toBe("Copied.");
    q(el, "copy-snippet")!.click();
    expect(props.onCopy).toHaveBeenCalledWith("snippet", config().snippet);
    q(el, "client-zed")!.click();
    expect(props.onPickClient).toHaveBeenCalledWith("zed");
    const write = q(el, "write-config") as HTMLButtonElement;
    expect(write.disabled).toBe(false);
    write.click();
    expect(props.onWrite).toHaveBeenCalled();
  });

  it("CLI not found: says so clearly and Write to config is off", () => {
    const missing = config({ cli: { kind: "missing", looked: "/opt/app and the folders on PATH" } });
    const { el } = render({ config: { kind: "ready", config: missing } });
    expect(q(el, "cli")?.dataset.cli).toBe("missing");
    expect(q(el, "cli")?.querySelector("p")?.textContent, "the same words as the Clients view").toBe(cliMissingLine("/opt/app and the folders on PATH"));
    expect((q(el, "write-config") as HTMLButtonElement).disabled).toBe(true);
  });

  it("no file to write: Write to config is off and it says to paste by hand", () => {
    const vscode = config({ client: "vscode", configPath: null });
    const { el } = render({ client: "vscode", config: { kind: "ready", config: vscode } });
    expect((q(el, "write-config") as HTMLButtonElement).disabled).toBe(true);
    expect(q(el, "config-path")?.textContent).toContain("paste the snippet into its config by hand");
  });

  it("write result: what the engine says it did, one line per fact, as it says it", () => {
    const said = ["Engine: wrote /c/claude.json.", "Engine: added everything."];
    const written = { path: "/c/claude.json", backup: "/c/claude.json.lanyard-backup", changed: true, added: ["everything"], replaced: ["old"], keyVar: null, said };
    const { el } = render({ write: { kind: "written", written } });
    const lines = [...(q(el, "write-result")?.querySelectorAll("p") ?? [])].map((p) => p.textContent);
    expect(lines, "the window does not word it again").toEqual(said);
  });

  it("a refused write shows the reason", () => {
    const error = { kind: "Other", message: "/c/settings.json has comments" } as const;
    const { el } = render({ write: { kind: "failed", error } });
    expect(q(el, "write-error-message")?.textContent).toContain("has comments");
  });

  it("Escape and the back link leave the panel", () => {
    const { el, props } = render();
    el.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    q(el, "back")!.click();
    expect(props.onBack).toHaveBeenCalledTimes(2);
  });
});
