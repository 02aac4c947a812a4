// The Agents view: each agent that may call the bridge with its sources and tools, its last use,
// calls today and errors (from the call log); Add, Edit (sources and tools as checkboxes), Copy
// key (for a client's setup: the only time a key reaches the window), Rotate key and Remove.
// The built-in `default` (the bridge token) is shown with the offer to split it into an agent
// per client. Renders from the state it is given; `agents-panel.ts` owns it.
import type { AgentRow, AgentsBoard, UiError } from "../../api";
import { errorBanner } from "../../components/error-banner";
import { rightsLines, useLine, type AgentDraft, type DraftErrors, type ToolList } from "../../lib/agents";
import { h } from "../../lib/dom";

export type BoardState = { kind: "loading" } | { kind: "ready"; board: AgentsBoard } | { kind: "failed"; error: UiError };

/** A key asked for: copied, or (no clipboard) shown to copy by hand. */
export type KeyCopy = { agent: string; kind: "copied" } | { agent: string; kind: "shown"; token: string };

export interface AgentsProps {
  board: BoardState;
  nowMs: number;
  /** The open editor (Add or Edit), with each opened source's tool list. */
  editor: AgentDraft | null;
  /** What Save found wrong with the draft. */
  editorErrors: DraftErrors;
  toolLists: ReadonlyMap<string, ToolList>;
  saving: boolean;
  /** An agent whose Rotate or Remove waits for a second click. */
  confirming: { agent: string; action: "rotate" | "remove" } | null;
  key: KeyCopy | null;
  /** The installed clients offered for the split of `default` (id and name), when open. */
  split: { clients: { id: string; name: string }[]; chosen: string[] } | null;
  error?: UiError;
  notice?: string;
  onBack(): void;
  onAdd(): void;
  onEdit(name: string): void;
  onDraft(change: (draft: AgentDraft) => void): void;
  /** The name as typed: kept in the draft without a re-render, so typing is not disturbed. */
  onName(name: string): void;
  onOpenTools(source: string): void;
  onSave(): void;
  onCancel(): void;
  onCopyKey(name: string): void;
  onRotate(name: string): void;
  onRemove(name: string): void;
  onSplit(): void;
  onSplitChoose(id: string, chosen: boolean): void;
  onSplitConfirm(): void;
}

export function agentsView(props: AgentsProps): HTMLElement {
  return h(
    "section",
    {
      class: "view",
      "data-testid": "agents-view",
      "aria-labelledby": "agents-title",
      onkeydown: (e: Event) => {
        if ((e as KeyboardEvent).key === "Escape") (props.editor ? props.onCancel : props.onBack)();
      },
    },
    h(
      "header",
      { class: "bar" },
      h("button", { class: "link", "data-testid": "back", onclick: () => props.onBack() }, "← Sources"),
      h("h1", { id: "agents-title", tabindex: "-1" }, "Agents"),
      props.editor ? null : h("button", { class: "primary", "data-testid": "add-agent", onclick: () => props.onAdd() }, "Add agent"),
    ),
    h(
      "p",
      { class: "muted" },
      "Each agent has a key of its own and may use only its sources and tools; the bridge refuses anything else and records every call. ",
      "The built-in default agent holds the bridge token and may use everything.",
    ),
    props.error ? errorBanner(props.error, "agents-error") : null,
    props.notice ? h("p", { class: "notice", role: "status", "data-testid": "agents-notice" }, props.notice) : null,
    body(props),
  );
}

function body(props: AgentsProps): HTMLElement {
  const { board } = props;
  if (board.kind === "loading") return h("p", { class: "muted", "data-testid": "agents-loading" }, "Loading…");
  if (board.kind === "failed") return errorBanner(board.error, "agents-board-error");
  if (props.editor) return editor(props.editor, board.board, props);
  return h("ul", { class: "clients", "data-testid": "agents-list" }, board.board.agents.map((agent) => agentRow(agent, props)));
}

function agentRow(agent: AgentRow, props: AgentsProps): HTMLElement {
  const confirming = props.confirming?.agent === agent.name ? props.confirming.action : null;
  const key = props.key?.agent === agent.name ? props.key : null;
  return h(
    "li",
    {
      class: "client-row agent-row",
      "data-testid": `agent-row-${agent.name}`,
      "data-calls": String(agent.use.calls),
      "data-errors": String(agent.use.errors),
    },
    h("span", { class: "name" }, agent.name),
    agent.builtIn ? h("span", { class: "badge muted" }, "built in") : h("span", {}),
    h(
      "div",
      { class: "actions" },
      agent.builtIn ? null : h("button", { "data-testid": "agent-edit", onclick: () => props.onEdit(agent.name) }, "Edit"),
      h("button", { "data-testid": "agent-copy-key", onclick: () => props.onCopyKey(agent.name) }, "Copy key"),
      h(
        "button",
        { "data-testid": "agent-rotate", onclick: () => props.onRotate(agent.name) },
        confirming === "rotate" ? "Confirm rotate" : "Rotate key",
      ),
      agent.builtIn
        ? h("button", { "data-testid": "agent-split", onclick: () => props.onSplit() }, "Split per client")
        : h(
            "button",
            { class: "danger", "data-testid": "agent-remove", onclick: () => props.onRemove(agent.name) },
            confirming === "remove" ? "Confirm remove" : "Remove",
          ),
    ),
    h("p", { class: "muted", "data-testid": "agent-use" }, useLine(agent.use, props.nowMs)),
    h("ul", { class: "urls", "data-testid": "agent-rights" }, rightsLines(agent.rights).map((line) => h("li", {}, line))),
    confirming ? h("p", { class: "hint", "data-testid": "agent-confirm" }, confirmText(agent, confirming)) : null,
    key ? keyLine(key) : null,
    agent.builtIn && props.split ? splitOffer(props) : null,
  );
}

function confirmText(agent: AgentRow, action: "rotate" | "remove"): string {
  const who = agent.builtIn ? "Every client that uses the bridge token" : `Every client set up as ${agent.name}`;
  return action === "rotate"
    ? `${who} stops working at once, until given the new key (Copy key, or set the client up again). Click again to rotate.`
    : `${who} stops working, and its key is forgotten. Click again to remove.`;
}

function keyLine(key: KeyCopy): HTMLElement {
  if (key.kind === "copied") {
    return h("p", { class: "notice", role: "status", "data-testid": "agent-key-copied" }, "Key copied. Paste it into the client's setup; it is not shown here.");
  }
  return h(
    "div",
    { class: "notice", "data-testid": "agent-key-shown" },
    h("p", {}, "The clipboard is not available here; copy the key by hand:"),
    h("code", { class: "url", "data-testid": "agent-key" }, key.token),
  );
}

function splitOffer(props: AgentsProps): HTMLElement {
  const split = props.split!;
  return h(
    "div",
    { class: "group", "data-testid": "agent-split-offer" },
    h("p", {}, "Give each client a key of its own: an agent per client chosen, allowed everything to begin with. Then set each client up as its agent (Clients) and narrow its rights here."),
    split.clients.length
      ? h(
          "div",
          { class: "inline" },
          split.clients.map((client) => {
            const box = h("input", { type: "checkbox", checked: split.chosen.includes(client.id), "data-testid": `split-${client.id}` });
            box.addEventListener("change", () => props.onSplitChoose(client.id, box.checked));
            return h("label", { class: "check" }, box, client.name);
          }),
        )
      : h("p", { class: "muted" }, "No client Lanyard knows was found on this computer."),
    h(
      "div",
      { class: "actions" },
      h("button", { class: "primary", "data-testid": "split-confirm", disabled: split.chosen.length === 0, onclick: () => props.onSplitConfirm() }, "Create agents"),
      h("button", { "data-testid": "split-cancel", onclick: () => props.onCancel() }, "Cancel"),
    ),
  );
}

function editor(draft: AgentDraft, board: AgentsBoard, props: AgentsProps): HTMLElement {
  const errors = props.editorErrors;
  const name = h("input", { id: "agent-name", type: "text", value: draft.name, "data-testid": "agent-name", "aria-invalid": errors.name ? "true" : undefined });
  name.addEventListener("input", () => props.onName(name.value.trim()));
  const check = (testid: string, checked: boolean, label: string, set: (on: boolean) => void) => {
    const box = h("input", { type: "checkbox", checked, "data-testid": testid });
    box.addEventListener("change", () => props.onDraft(() => set(box.checked)));
    return h("label", { class: "check" }, box, label);
  };
  return h(
    "form",
    {
      class: "group agent-editor",
      "data-testid": "agent-editor",
      onsubmit: (e: Event) => {
        e.preventDefault();
        props.onSave();
      },
    },
    h("h2", {}, draft.mode === "add" ? "Add agent" : `Edit ${draft.name}`),
    draft.mode === "add" ? h("label", { for: "agent-name" }, "Name") : null,
    draft.mode === "add" ? name : null,
    errors.name ? h("p", { class: "field-error", "data-testid": "agent-name-error" }, errors.name) : null,
    h("h2", {}, "Sources"),
    check("agent-all-sources", draft.allSources, "Every source and tool, including ones added later", (on) => (draft.allSources = on)),
    draft.allSources
      ? null
      : h(
          "ul",
          { class: "tool-choices", "data-testid": "agent-sources" },
          board.sources.map((source) => sourceChoice(source, draft, props)),
        ),
    errors.sources ? h("p", { class: "field-error", "data-testid": "agent-sources-error" }, errors.sources) : null,
    errors.tools ? h("p", { class: "field-error", "data-testid": "agent-tools-error" }, errors.tools) : null,
    h("h2", {}, "Besides tools"),
    check("agent-resources", draft.resources, "Resources", (on) => (draft.resources = on)),
    check("agent-prompts", draft.prompts, "Prompts", (on) => (draft.prompts = on)),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "primary", "data-testid": "agent-save", disabled: props.saving }, props.saving ? "Saving…" : "Save"),
      h("button", { type: "button", "data-testid": "agent-cancel", onclick: () => props.onCancel() }, "Cancel"),
    ),
  );
}

/** One source's row: ticked or not, and when ticked its tools (every one, or the ones ticked). */
function sourceChoice(source: string, draft: AgentDraft, props: AgentsProps): HTMLElement {
  const on = draft.sources.includes(source);
  const box = h("input", { type: "checkbox", checked: on, "data-testid": "agent-source" });
  box.addEventListener("change", () =>
    props.onDraft((d) => {
      d.sources = box.checked ? [...d.sources, source] : d.sources.filter((s) => s !== source);
    }),
  );
  const list = props.toolLists.get(source);
  const picked = draft.picked[source];
  return h(
    "li",
    { "data-testid": `agent-source-${source}` },
    h("label", { class: "check" }, box, h("code", {}, source)),
    on && picked === undefined
      ? h("button", { type: "button", class: "link", "data-testid": "agent-choose-tools", onclick: () => props.onOpenTools(source) }, ruleText(draft, source))
      : h("span", {}),
    on ? toolBoxes(source, list, picked, props) : null,
  );
}

function ruleText(draft: AgentDraft, source: string): string {
  const rule = draft.rules[source];
  if (!rule) return "Every tool · Choose tools…";
  return `${rule.include.length ? rule.include.join(", ") : "Every tool"}${rule.exclude.length ? ` except ${rule.exclude.join(", ")}` : ""} · Choose tools…`;
}

function toolBoxes(source: string, list: ToolList | undefined, picked: string[] | undefined, props: AgentsProps): HTMLElement | null {
  if (picked === undefined || list === undefined) return null;
  if (list.kind === "loading") return h("p", { class: "muted" }, "Listing the tools…");
  if (list.kind === "failed") return h("p", { class: "field-error", "data-testid": "agent-tools-failed" }, `Cannot list the tools of ${source}: ${list.message}`);
  return h(
    "div",
    { class: "inline agent-tools", "data-testid": "agent-tools" },
    list.tools.map((tool) => {
      const box = h("input", { type: "checkbox", checked: picked.includes(tool), "data-testid": `agent-tool-${tool}` });
      box.addEventListener("change", () =>
        props.onDraft((d) => {
          const now = d.picked[source] ?? [];
          d.picked[source] = box.checked ? [...now, tool] : now.filter((t) => t !== tool);
        }),
      );
      return h("label", { class: "check" }, box, tool);
    }),
  );
}
