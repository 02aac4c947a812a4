import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AgentsBoard } from "./api";
import { setInvoke } from "./api/call";
import { setListen } from "./api/events";
import { App } from "./app";
import { setWriteText } from "./lib/clipboard";
import { source } from "./lib/fixtures";

// The Agents view's moves inside the App, against a fake shell: what each click sends, that a
// key crosses only on Copy key and is forgotten on leaving, and that Remove asks first.
describe("App, agents view", () => {
  let calls: [string, Record<string, unknown> | undefined][];
  let clipboard: string[];
  let root: HTMLElement;
  const board = (): AgentsBoard => ({
    sources: ["everything"],
    agents: [
      { name: "default", builtIn: true, rights: { sources: null, tools: [], resources: true, prompts: true }, use: { lastMs: null, calls: 0, errors: 0 } },
      { name: "cursor", builtIn: false, rights: { sources: null, tools: [], resources: true, prompts: true }, use: { lastMs: null, calls: 2, errors: 0 } },
    ],
  });

  beforeEach(async () => {
    calls = [];
    clipboard = [];
    setInvoke(async (command, args) => {
      calls.push([command, args]);
      switch (command) {
        case "list_sources":
          return [source()];
        case "set_health":
          return null;
        case "change_agent":
          return (args?.change as { kind: string }).kind === "remove" ? "Made-up words for the remove." : null;
        case "hub_status":
          return { kind: "starting" };
        case "agents_board":
          return board();
        case "reveal_bridge_token":
          return `tok-${String(args?.agent)}`;
        case "list_tools":
          return [{ name: "echo", description: null }, { name: "add", description: null }];
        default:
          throw new Error(`unexpected command ${command}`);
      }
    });
    setListen(async () => () => {});
    setWriteText(async (text) => void clipboard.push(text));
    root = document.createElement("div");
    document.body.replaceChildren(root);
    await new App(root).start();
  });
  afterEach(() => setWriteText(undefined));

  const q = (id: string, within: ParentNode = root) => within.querySelector<HTMLElement>(`[data-testid="${id}"]`);
  const sent = (command: string) => calls.filter(([c]) => c === command).map(([, args]) => args);
  const open = async () => {
    q("open-agents")!.click();
    await vi.waitFor(() => expect(q("agent-row-cursor")).not.toBeNull());
  };

  it("opening reads the board since midnight, and asks for no key", async () => {
    await open();
    const since = sent("agents_board")[0]?.sinceMs as number;
    expect(new Date(since).getHours()).toBe(0);
    expect(q("agent-row-cursor")?.dataset.calls).toBe("2");
    expect(sent("reveal_bridge_token")).toEqual([]);
  });

  it("Copy key asks for that agent's key once; leaving forgets it", async () => {
    await open();
    q("agent-copy-key", q("agent-row-cursor")!)!.click();
    await vi.waitFor(() => expect(q("agent-key-copied")).not.toBeNull());
    expect(clipboard).toEqual(["tok-cursor"]);
    expect(sent("reveal_bridge_token")).toEqual([{ agent: "cursor" }]);
    expect(root.textContent).not.toContain("tok-cursor");
    q("back")!.click();
    await open();
    expect(q("agent-key-copied"), "gone after coming back").toBeNull();
  });

  it("Remove asks first, then sends the change and reads the board again", async () => {
    await open();
    q("agent-remove", q("agent-row-cursor")!)!.click();
    expect(sent("change_agent")).toEqual([]);
    q("agent-remove", q("agent-row-cursor")!)!.click();
    await vi.waitFor(() => expect(q("agents-notice")?.textContent).toBe("Made-up words for the remove."));
    expect(sent("change_agent")).toEqual([{ change: { kind: "remove", name: "cursor" } }]);
    expect(sent("agents_board")).toHaveLength(2);
  });

  it("Add: a name, one source, one tool of it; Save sends exactly those rights", async () => {
    await open();
    q("add-agent")!.click();
    q("agent-save")!.click();
    expect(q("agent-name-error"), "no name yet").not.toBeNull();
    const name = q("agent-name") as HTMLInputElement;
    name.value = "ci";
    name.dispatchEvent(new Event("input"));
    q("agent-source", q("agent-source-everything")!)!.click();
    q("agent-choose-tools")!.click();
    await vi.waitFor(() => expect(q("agent-tool-add")).not.toBeNull());
    q("agent-tool-add")!.click();
    q("agent-save")!.click();
    await vi.waitFor(() => expect(q("agents-notice")?.textContent).toContain("Added ci"));
    expect(sent("change_agent")).toEqual([
      {
        change: {
          kind: "add",
          name: "ci",
          rights: { sources: ["everything"], tools: [{ source: "everything", include: ["echo"], exclude: [] }], resources: true, prompts: true },
        },
      },
    ]);
  });
});
