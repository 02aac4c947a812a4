import { describe, expect, it, vi } from "vitest";
import type { ClientsView } from "../../api";
import type { ClientMove } from "../../lib/clients";
import { cliMissingLine } from "../../lib/bridge";
import { mcpClient } from "../../lib/fixtures";
import { clientsView, type ClientsProps } from "./clients-view";

function listed(over: Partial<ClientsView> = {}): ClientsView {
  return {
    clients: [
      mcpClient(),
      mcpClient({ id: "codex", name: "Codex", path: "/home/a/.codex/config.toml", state: { kind: "couldManage", servers: 2, viaLanyard: 0 } }),
      mcpClient({ id: "zed", name: "Zed", state: { kind: "usesLanyard", entries: 1 }, canUndo: true }),
      mcpClient({ id: "goose", name: "Goose", installed: false }),
    ],
    cli: { kind: "found", path: "/opt/lanyard/lanyard" },
    ...over,
  };
}

function render(over: Partial<ClientsProps> = {}) {
  const props: ClientsProps = {
    clients: { kind: "ready", view: listed() },
    moves: new Map(),
    enabledSources: 1,
    agents: [],
    agent: null,
    onAgent: vi.fn(),
    onBack: vi.fn(),
    onSetUp: vi.fn(),
    onImport: vi.fn(),
    onUndo: vi.fn(),
    ...over,
  };
  const el = clientsView(props);
  document.body.replaceChildren(el);
  return { el, props };
}
const q = (el: HTMLElement, id: string) => el.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const row = (el: HTMLElement, id: string) => el.querySelector<HTMLElement>(`[data-testid="client-row-${id}"]`)!;
const inRow = (el: HTMLElement, id: string, what: string) => row(el, id).querySelector<HTMLButtonElement>(`[data-testid="${what}"]`);

describe("clients view", () => {
  it("lists the installed clients with their state and file; the others collapsed", () => {
    const { el } = render();
    const installed = [...q(el, "clients-installed")!.querySelectorAll<HTMLElement>("li")].map((li) => [li.dataset.testid, li.dataset.state]);
    expect(installed).toEqual([
      ["client-row-cursor", "not-set-up"],
      ["client-row-codex", "could-manage"],
      ["client-row-zed", "uses-lanyard"],
    ]);
    expect(row(el, "codex").querySelector('[data-testid="client-state"]')?.textContent).toBe("Has 2 servers Lanyard could manage");
    expect(row(el, "codex").querySelector('[data-testid="client-path"]')?.textContent).toBe("/home/a/.codex/config.toml");
    const others = q(el, "clients-others")!;
    expect(others.tagName).toBe("DETAILS");
    expect(others.hasAttribute("open"), "collapsed").toBe(false);
    expect(others.querySelector("summary")?.textContent).toBe("Not found here (1)");
    expect(others.querySelector('[data-testid="client-row-goose"]')).not.toBeNull();
    expect(inRow(el, "goose", "client-set-up"), "not found here, so nothing to set up").toBeNull();
  });

  it("the buttons follow the state and call back with the client's id", () => {
    const { el, props } = render();
    expect(inRow(el, "cursor", "client-import")).toBeNull();
    expect(inRow(el, "cursor", "client-undo")).toBeNull();
    inRow(el, "cursor", "client-set-up")!.click();
    expect(props.onSetUp).toHaveBeenCalledWith("cursor");
    inRow(el, "codex", "client-import")!.click();
    expect(props.onImport).toHaveBeenCalledWith("codex");
    inRow(el, "zed", "client-undo")!.click();
    expect(props.onUndo).toHaveBeenCalledWith("zed");
  });

  it("without an enabled source or the CLI, Set up is off and the row says why", () => {
    const none = render({ enabledSources: 0 }).el;
    expect(inRow(none, "cursor", "client-set-up")!.disabled).toBe(true);
    expect(row(none, "cursor").querySelector('[data-testid="client-why"]')?.textContent).toMatch(/Add or enable a source/);
    const noCli = render({ clients: { kind: "ready", view: listed({ cli: { kind: "missing", looked: "/opt and PATH" } }) } }).el;
    expect(q(noCli, "clients-cli-missing")?.querySelector("p")?.textContent, "the same words as the Bridge view").toBe(cliMissingLine("/opt and PATH"));
    expect(inRow(noCli, "codex", "client-import")!.disabled).toBe(true);
  });

  it("a file that does not read: its error, and no Set up", () => {
    const broken = listed({ clients: [mcpClient({ state: { kind: "unreadable", error: "not valid JSON: line 1" } })] });
    const { el } = render({ clients: { kind: "ready", view: broken } });
    expect(row(el, "cursor").dataset.state).toBe("unreadable");
    expect(row(el, "cursor").querySelector('[data-testid="client-file-error"]')?.textContent).toBe("not valid JSON: line 1");
    expect(inRow(el, "cursor", "client-set-up")!.disabled).toBe(true);
  });

  it("a move under way, done, and failed (shown as the app shows errors)", () => {
    const moves = new Map<string, ClientMove>([
      ["cursor", { kind: "busy", action: "setUp" }],
      ["codex", { kind: "done", lines: ["Wrote /c.", "Undo puts the file back."] }],
      ["zed", { kind: "failed", error: { kind: "Other", message: "/z/settings.json changed after Lanyard wrote it" } }],
    ]);
    const { el } = render({ moves });
    expect(inRow(el, "cursor", "client-set-up")!.textContent).toBe("Setting up…");
    expect(inRow(el, "cursor", "client-set-up")!.disabled).toBe(true);
    expect(row(el, "codex").querySelector('[data-testid="client-outcome"]')?.textContent).toBe("Wrote /c.Undo puts the file back.");
    const error = row(el, "zed").querySelector<HTMLElement>('[data-testid="client-error"]')!;
    expect(error.getAttribute("role")).toBe("alert");
    expect(error.textContent).toContain("changed after Lanyard wrote it");
  });

  it("loading, a list that failed, and none installed", () => {
    expect(q(render({ clients: { kind: "loading" } }).el, "clients-loading")).not.toBeNull();
    const failed = render({ clients: { kind: "failed", error: { kind: "Other", message: "cannot find the home folder" } } }).el;
    expect(q(failed, "clients-error-message")?.textContent).toBe("cannot find the home folder");
    const none = render({ clients: { kind: "ready", view: listed({ clients: [mcpClient({ installed: false })] }) } }).el;
    expect(q(none, "clients-none")).not.toBeNull();
  });

  it("Set up as: offered only when there are agents; the choice is called back", () => {
    expect(q(render().el, "set-up-as"), "no agents, no choice").toBeNull();
    const { el, props } = render({ agents: ["ci", "cursor"], agent: "ci" });
    const select = q(el, "set-up-as") as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).toEqual(["", "ci", "cursor"]);
    expect(select.value).toBe("ci");
    expect(q(el, "set-up-as-note")?.textContent).toContain("ci may use");
    select.value = "";
    select.dispatchEvent(new Event("change"));
    expect(props.onAgent).toHaveBeenCalledWith(null);
  });

  it("Back and Escape return to the sources", () => {
    const { el, props } = render();
    q(el, "back")!.click();
    el.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(props.onBack).toHaveBeenCalledTimes(2);
  });
});
