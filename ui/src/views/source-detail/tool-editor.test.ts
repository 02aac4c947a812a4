import { describe, expect, it, vi } from "vitest";
import type { ToolDraft, ToolEditor } from "../../lib/tool-filters";
import { NO_TOOLS } from "../../components/no-tools";
import { toolEditorView, type ToolEditorProps } from "./tool-editor";

const draft = (name: string, over: Partial<ToolDraft> = {}): ToolDraft => ({
  name,
  upstreamDescription: `${name} upstream\nsecond line`,
  exposed: true,
  alias: "",
  description: "",
  ...over,
});

function render(editor?: ToolEditor, over: Partial<ToolEditorProps> = {}) {
  const props: ToolEditorProps = { editor, enabled: true, onEdit: vi.fn(), onSave: vi.fn(), onCancel: vi.fn(), ...over };
  const el = toolEditorView(props);
  document.body.replaceChildren(el);
  return { el, props };
}
const q = <T extends HTMLElement = HTMLElement>(el: HTMLElement, id: string) =>
  el.querySelector<T>(`[data-testid="${id}"]`);
const type = (input: HTMLInputElement, value: string) => {
  input.value = value;
  input.dispatchEvent(new Event("input"));
};

describe("tool editor", () => {
  it("closed: offers Edit tools, not while the source is disabled", () => {
    const { el, props } = render();
    q(el, "edit-tools")!.click();
    expect(props.onEdit).toHaveBeenCalled();
    expect(q<HTMLButtonElement>(render(undefined, { enabled: false }).el, "edit-tools")!.disabled).toBe(true);
  });

  it("loading: says it lists the server's tools", () => {
    const { el } = render({ kind: "loading" });
    expect(q(el, "tool-editor-loading")?.textContent).toContain("Listing");
    expect(q(el, "edit-tools")).toBeNull();
  });

  it("failed: shows the error and offers to try again", () => {
    const { el } = render({ kind: "failed", error: { kind: "Unreachable", message: "connection refused" } });
    expect(q(el, "tool-editor-error-message")?.textContent).toBe("connection refused");
    expect(q(el, "edit-tools")?.textContent).toBe("Try again");
  });

  it("editing: one row per upstream tool with its toggle, alias and description", () => {
    const drafts = [draft("echo", { alias: "say" }), draft("rm", { exposed: false }), draft("add", { description: "Sum" })];
    const { el } = render({ kind: "editing", drafts, saving: false });
    const rows = [...el.querySelectorAll<HTMLElement>('[data-testid="tool-choice"]')].map((r) => r.dataset.name);
    expect(rows).toEqual(["echo", "rm", "add"]);
    expect(q<HTMLInputElement>(el, "tool-exposed-rm")!.checked, "rm is hidden").toBe(false);
    expect(q<HTMLInputElement>(el, "tool-alias-echo")!.value).toBe("say");
    expect(q<HTMLInputElement>(el, "tool-description-add")!.value).toBe("Sum");
    expect(q<HTMLInputElement>(el, "tool-description-echo")!.placeholder, "the server's first line as a hint").toBe(
      "echo upstream",
    );
  });

  it("editing: changes go into the drafts, so a re-render keeps them", () => {
    const drafts = [draft("echo"), draft("rm")];
    const { el } = render({ kind: "editing", drafts, saving: false });
    q<HTMLInputElement>(el, "tool-exposed-rm")!.click();
    type(q<HTMLInputElement>(el, "tool-alias-echo")!, "say");
    type(q<HTMLInputElement>(el, "tool-description-echo")!, "Says it");
    expect(drafts).toEqual([
      draft("echo", { alias: "say", description: "Says it" }),
      draft("rm", { exposed: false }),
    ]);
  });

  it("a bad or duplicate alias is shown inline and blocks Save", () => {
    const drafts = [draft("echo"), draft("add")];
    const { el, props } = render({ kind: "editing", drafts, saving: false });
    const error = q(el, "tool-alias-error-echo")!;
    expect(error.hidden, "no error before typing").toBe(true);
    type(q<HTMLInputElement>(el, "tool-alias-echo")!, "say it");
    expect(error.hidden).toBe(false);
    expect(error.textContent).toMatch(/letters, digits/);
    type(q<HTMLInputElement>(el, "tool-alias-echo")!, "add");
    expect(error.textContent, "another shown tool is called that").toMatch(/already the name/);
    q(el, "save-tools")!.click();
    expect(props.onSave).not.toHaveBeenCalled();
    expect(document.activeElement, "focus goes to the field to fix").toBe(q(el, "tool-alias-echo"));
    type(q<HTMLInputElement>(el, "tool-alias-echo")!, "say");
    expect(error.hidden).toBe(true);
    q(el, "save-tools")!.click();
    expect(props.onSave).toHaveBeenCalledOnce();
  });

  it("saving: the buttons wait; a refusal from the engine is shown", () => {
    const drafts = [draft("echo")];
    const saving = render({ kind: "editing", drafts, saving: true }).el;
    expect(q<HTMLButtonElement>(saving, "save-tools")!.disabled).toBe(true);
    expect(q<HTMLButtonElement>(saving, "cancel-tools")!.disabled).toBe(true);
    const refused = render({
      kind: "editing",
      drafts,
      saving: false,
      error: { kind: "InvalidProfile", message: "tools.alias.echo: `say` is already the alias of another tool" },
    }).el;
    expect(q(refused, "tool-editor-error-message")?.textContent).toMatch(/already the alias/);
  });

  it("a source without tools says so", () => {
    const { el, props } = render({ kind: "editing", drafts: [], saving: false });
    expect(q(el, "tool-editor-empty")?.textContent, "the same words as the tools list").toBe(NO_TOOLS);
    q(el, "cancel-tools")!.click();
    expect(props.onCancel).toHaveBeenCalled();
  });
});
