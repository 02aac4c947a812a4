// The Agents view's state and moves, apart from the App's so that each stays small: the board as
// last read (on opening the view and after each change), the editor's draft with the tool lists
// it opened, a Rotate or Remove waiting for its second click, and a key the person asked to copy.
// Leaving the view forgets the key, so it is on screen only while the person looks at it.
import * as api from "./api";
import type { AgentChange, UiError } from "./api";
import { copyText } from "./lib/clipboard";
import { draftErrors, draftOf, midnightBefore, newDraft, pickedOf, rightsOf, splitNames, type AgentDraft, type DraftErrors, type ToolList } from "./lib/agents";
import { agentsView, type AgentsProps, type BoardState, type KeyCopy } from "./views/agents/agents-view";

export class AgentsPanel {
  private board: BoardState = { kind: "loading" };
  private editor: AgentDraft | null = null;
  private editorErrors: DraftErrors = {};
  private toolLists = new Map<string, ToolList>();
  private saving = false;
  private confirming: AgentsProps["confirming"] = null;
  private key: KeyCopy | null = null;
  private split: AgentsProps["split"] = null;
  private error: UiError | undefined;
  private notice: string | undefined;

  /** `render` re-draws the app when the panel's state changes. */
  constructor(private readonly render: () => void) {}

  /** Whether the editor is open: a background re-render must not wipe what is typed. */
  get editing(): boolean {
    return this.editor !== null;
  }

  /** Opening the view: the board read afresh, earlier outcomes forgotten. */
  async open(): Promise<void> {
    this.close();
    this.board = { kind: "loading" };
    await this.read();
  }

  /** Leaving the view: the key shown, the editor and any confirmation go. */
  close(): void {
    this.editor = null;
    this.toolLists.clear();
    this.confirming = null;
    this.key = null;
    this.split = null;
    this.error = undefined;
    this.notice = undefined;
  }

  view(onBack: () => void): HTMLElement {
    return agentsView({
      board: this.board,
      nowMs: Date.now(),
      editor: this.editor,
      editorErrors: this.editorErrors,
      toolLists: this.toolLists,
      saving: this.saving,
      confirming: this.confirming,
      key: this.key,
      split: this.split,
      error: this.error,
      notice: this.notice,
      onBack,
      onAdd: () => this.openEditor(newDraft()),
      onEdit: (name) => {
        const row = this.board.kind === "ready" ? this.board.board.agents.find((a) => a.name === name) : undefined;
        if (row) this.openEditor(draftOf(row));
      },
      onDraft: (change) => {
        if (!this.editor) return;
        change(this.editor);
        this.render();
      },
      onName: (name) => {
        if (this.editor) this.editor.name = name;
      },
      onOpenTools: (source) => void this.openTools(source),
      onSave: () => void this.save(),
      onCancel: () => {
        this.editor = null;
        this.split = null;
        this.render();
      },
      onCopyKey: (name) => void this.copyKey(name),
      onRotate: (name) => void this.confirmThen(name, "rotate", { kind: "rotate", name }),
      onRemove: (name) => void this.confirmThen(name, "remove", { kind: "remove", name }),
      onSplit: () => void this.openSplit(),
      onSplitChoose: (id, chosen) => {
        if (!this.split) return;
        this.split.chosen = chosen ? [...this.split.chosen, id] : this.split.chosen.filter((c) => c !== id);
        this.render();
      },
      onSplitConfirm: () => void this.confirmSplit(),
    });
  }

  private async read(): Promise<void> {
    try {
      this.board = { kind: "ready", board: await api.agentsBoard(midnightBefore(new Date())) };
    } catch (err) {
      this.board = { kind: "failed", error: err as UiError };
    }
    this.render();
  }

  private openEditor(draft: AgentDraft): void {
    this.editor = draft;
    this.editorErrors = {};
    this.toolLists.clear();
    this.confirming = null;
    this.key = null;
    this.notice = undefined;
    this.error = undefined;
    this.render();
  }

  /** A source's tools as agents see them (the source's own filter applied), for the boxes. */
  private async openTools(source: string): Promise<void> {
    const draft = this.editor;
    if (!draft) return;
    this.toolLists.set(source, { kind: "loading" });
    draft.picked[source] = [];
    this.render();
    try {
      const tools = (await api.listTools(source)).map((tool) => tool.name);
      this.toolLists.set(source, { kind: "ready", tools });
      draft.picked[source] = pickedOf(draft, source, tools);
    } catch (err) {
      this.toolLists.set(source, { kind: "failed", message: (err as UiError).message });
      delete draft.picked[source];
    }
    this.render();
  }

  private async save(): Promise<void> {
    const draft = this.editor;
    if (!draft || this.saving || this.board.kind !== "ready") return;
    this.editorErrors = draftErrors(
      draft,
      this.board.board.agents.map((a) => a.name),
    );
    if (Object.keys(this.editorErrors).length > 0) return this.render();
    const rights = rightsOf(draft, this.toolLists, this.board.board.sources);
    this.saving = true;
    this.render();
    const done = await this.change({ kind: draft.mode, name: draft.name, rights });
    this.saving = false;
    if (done !== false) {
      this.editor = null;
      this.notice = draft.mode === "add" ? `Added ${draft.name}. Copy its key, or set a client up as ${draft.name} in Clients.` : `Saved ${draft.name}.`;
    }
    await this.read();
  }

  /** Rotate and Remove: the first click asks, the second does it; the notice is the engine's words. */
  private async confirmThen(name: string, action: "rotate" | "remove", change: AgentChange): Promise<void> {
    if (this.confirming?.agent !== name || this.confirming.action !== action) {
      this.confirming = { agent: name, action };
      this.render();
      return;
    }
    this.confirming = null;
    this.key = null;
    const said = await this.change(change);
    if (said !== false) this.notice = said ?? undefined;
    await this.read();
  }

  /** The key, fetched on this click only, into the clipboard (or shown when there is none). */
  private async copyKey(name: string): Promise<void> {
    try {
      const token = await api.revealBridgeToken(name);
      this.key = (await copyText(token)) ? { agent: name, kind: "copied" } : { agent: name, kind: "shown", token };
      this.error = undefined;
    } catch (err) {
      this.error = err as UiError;
    }
    this.render();
  }

  private async openSplit(): Promise<void> {
    try {
      const listed = await api.listClients();
      this.split = { clients: listed.clients.filter((c) => c.installed).map(({ id, name }) => ({ id, name })), chosen: [] };
    } catch (err) {
      this.error = err as UiError;
    }
    this.render();
  }

  private async confirmSplit(): Promise<void> {
    if (!this.split || this.board.kind !== "ready") return;
    const names = splitNames(this.split.chosen, this.board.board.agents);
    this.split = null;
    if (names.length === 0) {
      this.notice = "Each client chosen has its agent already.";
    } else if ((await this.change({ kind: "split", names })) !== false) {
      this.notice = `Created ${names.join(", ")}. Set each client up as its agent in Clients.`;
    }
    await this.read();
  }

  /** The engine's words for the change (null when it has none), or false when it failed. */
  private async change(change: AgentChange): Promise<string | null | false> {
    try {
      const said = await api.changeAgent(change);
      this.error = undefined;
      return said;
    } catch (err) {
      this.error = err as UiError;
      this.notice = undefined;
      return false;
    }
  }
}
