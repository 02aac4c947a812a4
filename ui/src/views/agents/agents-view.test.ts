import { describe, expect, it, vi } from "vitest";
import type { AgentsBoard } from "../../api";
import { newDraft } from "../../lib/agents";
import { agentsView, type AgentsProps } from "./agents-view";

const NOW = 1_800_000_000_000;

function board(): AgentsBoard {
  return {
    sources: ["tracker", "docs"],
    agents: [
      { name: "default", builtIn: true, rights: { sources: null, tools: [], resources: true, prompts: true }, use: { lastMs: NOW - 120_000, calls: 3, errors: 1 } },
      {
        name: "cursor",
        builtIn: false,
        rights: { sources: ["tracker"], tools: [{ source: "tracker", include: ["search"], exclude: [] }], resources: true, prompts: true },
        use: { lastMs: null, calls: 0, errors: 0 },
      },
    ],
  };
}

function render(over: Partial<AgentsProps> = {}) {
  const props: AgentsProps = {
    board: { kind: "ready", board: board() },
    nowMs: NOW,
    editor: null,
    editorErrors: {},
    toolLists: new Map(),
    saving: false,
    confirming: null,
    key: null,
    split: null,
    onBack: vi.fn(),
    onAdd: vi.fn(),
    onEdit: vi.fn(),
    onDraft: vi.fn(),
    onName: vi.fn(),
    onOpenTools: vi.fn(),
    onSave: vi.fn(),
    onCancel: vi.fn(),
    onCopyKey: vi.fn(),
    onRotate: vi.fn(),
    onRemove: vi.fn(),
    onSplit: vi.fn(),
    onSplitChoose: vi.fn(),
    onSplitConfirm: vi.fn(),
    ...over,
  };
  const el = agentsView(props);
  document.body.replaceChildren(el);
  return { el, props };
}
const q = (el: ParentNode, id: string) => el.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const row = (el: HTMLElement, name: string) => q(el, `agent-row-${name}`)!;

describe("agents view", () => {
  it("each agent with its rights and use; default built in, offering a split and no edit or remove", () => {
    const { el, props } = render();
    expect(q(row(el, "default"), "agent-use")?.textContent).toBe("Last used 2 min ago · 3 calls today · 1 error");
    expect(row(el, "default").dataset.calls).toBe("3");
    expect(q(row(el, "default"), "agent-edit")).toBeNull();
    expect(q(row(el, "default"), "agent-remove")).toBeNull();
    q(row(el, "default"), "agent-split")!.click();
    expect(props.onSplit).toHaveBeenCalled();
    expect(q(row(el, "cursor"), "agent-rights")?.textContent).toBe("Sources: trackerTools of tracker: search");
    q(row(el, "cursor"), "agent-edit")!.click();
    expect(props.onEdit).toHaveBeenCalledWith("cursor");
    q(row(el, "cursor"), "agent-copy-key")!.click();
    expect(props.onCopyKey).toHaveBeenCalledWith("cursor");
  });

  it("Rotate and Remove say what follows before the second click", () => {
    const { el } = render({ confirming: { agent: "cursor", action: "remove" } });
    expect(q(row(el, "cursor"), "agent-remove")?.textContent).toBe("Confirm remove");
    expect(q(row(el, "cursor"), "agent-confirm")?.textContent).toContain("Every client set up as cursor stops working");
    expect(q(row(el, "default"), "agent-confirm")).toBeNull();
  });

  it("a key shows only when the clipboard failed, and only on its agent", () => {
    const copied = render({ key: { agent: "cursor", kind: "copied" } }).el;
    expect(q(copied, "agent-key-copied")).not.toBeNull();
    expect(copied.textContent).not.toContain("tok-");
    const shown = render({ key: { agent: "cursor", kind: "shown", token: "tok-1" } }).el;
    expect(q(row(shown, "cursor"), "agent-key")?.textContent).toBe("tok-1");
    expect(q(row(shown, "default"), "agent-key")).toBeNull();
  });

  it("the editor: sources as boxes, a ticked source's tools as boxes once opened, errors by field", () => {
    const draft = { ...newDraft(), sources: ["tracker"], picked: { tracker: ["search"] } };
    const { el, props } = render({
      editor: draft,
      editorErrors: { name: "Give the agent a name" },
      toolLists: new Map([["tracker", { kind: "ready", tools: ["search", "close"] }]]),
    });
    expect(q(el, "agents-list"), "the list gives way to the editor").toBeNull();
    expect(q(el, "agent-name-error")?.textContent).toContain("name");
    const tracker = q(el, "agent-source-tracker")!;
    expect(tracker.querySelector<HTMLInputElement>('[data-testid="agent-source"]')!.checked).toBe(true);
    expect(tracker.querySelector<HTMLInputElement>('[data-testid="agent-tool-search"]')!.checked).toBe(true);
    expect(tracker.querySelector<HTMLInputElement>('[data-testid="agent-tool-close"]')!.checked).toBe(false);
    expect(q(q(el, "agent-source-docs")!, "agent-choose-tools"), "an unticked source offers no tools").toBeNull();
    tracker.querySelector<HTMLInputElement>('[data-testid="agent-tool-close"]')!.click();
    const change = vi.mocked(props.onDraft).mock.calls[0]![0];
    change(draft);
    expect(draft.picked.tracker).toEqual(["search", "close"]);
    const name = q(el, "agent-name") as HTMLInputElement;
    name.value = "ci";
    name.dispatchEvent(new Event("input"));
    expect(props.onName).toHaveBeenCalledWith("ci");
    q(el, "agent-save")!.click();
    expect(props.onSave).toHaveBeenCalled();
  });
});
