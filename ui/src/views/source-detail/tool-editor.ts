// The tool editor in a source's detail: every tool the server lists (before the filter), each
// with a Show-to-agents toggle, an alias and a description override, checked while typing. It
// edits the drafts in place, so a re-render of the detail view keeps what was typed.
import { errorBanner } from "../../components/error-banner";
import { noTools } from "../../components/no-tools";
import { h } from "../../lib/dom";
import { aliasErrors, type ToolDraft, type ToolEditor } from "../../lib/tool-filters";

export interface ToolEditorProps {
  editor?: ToolEditor;
  /** Whether the source can be reached at all (enabled). */
  enabled: boolean;
  onEdit(): void;
  onSave(): void;
  onCancel(): void;
}

export function toolEditorView(props: ToolEditorProps): HTMLElement {
  const { editor } = props;
  const section = h("div", { class: "tool-editor", "data-testid": "tool-editor" }, h("h2", {}, "Tool filters"));
  if (editor === undefined || editor.kind === "failed") {
    section.append(
      h(
        "p",
        { class: "muted" },
        "Choose which tools agents see, rename them, or give them a clearer description.",
      ),
      editor?.kind === "failed" ? errorBanner(editor.error, "tool-editor-error") : "",
      h(
        "button",
        {
          "data-testid": "edit-tools",
          disabled: !props.enabled,
          title: props.enabled ? undefined : "Enable the source to edit its tools",
          onclick: () => props.onEdit(),
        },
        editor?.kind === "failed" ? "Try again" : "Edit tools",
      ),
    );
    return section;
  }
  if (editor.kind === "loading") {
    section.append(h("p", { class: "muted", role: "status", "data-testid": "tool-editor-loading" }, "Listing the server's tools…"));
    return section;
  }
  const errorSlots = new Map<string, HTMLElement>();
  const refresh = () => {
    const errors = aliasErrors(editor.drafts);
    for (const [name, slot] of errorSlots) {
      const message = errors[name];
      slot.textContent = message ?? "";
      slot.hidden = !message;
      const input = slot.parentElement?.querySelector<HTMLInputElement>("input.alias");
      input?.setAttribute("aria-invalid", message ? "true" : "false");
    }
    return errors;
  };
  const save = h(
    "button",
    {
      class: "primary",
      "data-testid": "save-tools",
      disabled: editor.saving,
      onclick: () => {
        if (Object.keys(refresh()).length > 0) {
          section.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
          return;
        }
        props.onSave();
      },
    },
    editor.saving ? "Saving…" : "Save tool filters",
  );
  section.append(
    editor.error ? errorBanner(editor.error, "tool-editor-error") : "",
    editor.drafts.length === 0
      ? noTools("tool-editor-empty")
      : h("ul", { class: "tool-choices" }, editor.drafts.map((d) => row(d, refresh, errorSlots))),
    h(
      "div",
      { class: "actions" },
      save,
      h("button", { "data-testid": "cancel-tools", disabled: editor.saving, onclick: () => props.onCancel() }, "Cancel"),
    ),
  );
  refresh();
  return section;
}

function row(d: ToolDraft, refresh: () => void, errorSlots: Map<string, HTMLElement>): HTMLElement {
  const id = (part: string) => `tool-${part}-${d.name}`;
  const shown = h("input", {
    type: "checkbox",
    id: id("exposed"),
    checked: d.exposed,
    "data-testid": id("exposed"),
  });
  shown.addEventListener("change", () => {
    d.exposed = shown.checked;
    refresh();
  });
  const alias = h("input", {
    type: "text",
    class: "alias",
    value: d.alias,
    placeholder: d.name,
    autocomplete: "off",
    spellcheck: "false",
    "aria-label": `Name agents see for ${d.name}`,
    "aria-describedby": id("alias-error"),
    "data-testid": id("alias"),
  });
  alias.addEventListener("input", () => {
    d.alias = alias.value;
    refresh();
  });
  const description = h("input", {
    type: "text",
    value: d.description,
    placeholder: d.upstreamDescription?.split("\n")[0] ?? "no description",
    autocomplete: "off",
    "aria-label": `Description agents see for ${d.name}`,
    "data-testid": id("description"),
  });
  description.addEventListener("input", () => (d.description = description.value));
  const error = h("p", { class: "field-error", id: id("alias-error"), "data-testid": id("alias-error"), hidden: true });
  errorSlots.set(d.name, error);
  return h(
    "li",
    { "data-testid": "tool-choice", "data-name": d.name },
    h("label", { class: "check", for: id("exposed") }, shown, h("code", {}, d.name)),
    alias,
    description,
    error,
  );
}
