// The dialog a server's question (MCP elicitation) opens while a tool is tried: the server's
// message, then either the form's fields (defaults filled in, required ones marked) with Accept /
// Decline / Cancel, or a URL shown as text with an Open button the person may press (nothing opens
// by itself) and Decline / Cancel. It edits `values` in place, so a re-render keeps what is typed.
import { h } from "../lib/dom";
import type { Field, Question, Values } from "../lib/elicitation";

export interface ElicitationDialogProps {
  /** Who asks: the source's name. */
  server: string;
  question: Question;
  values: Values;
  /** What is wrong per field, after a refused Accept. */
  errors: Record<string, string>;
  /** The answer is on its way. */
  answering: boolean;
  onAccept(): void;
  /** URL mode: open the server's URL (and accept). */
  onOpen(): void;
  onDecline(): void;
  onCancel(): void;
}

export function elicitationDialog(props: ElicitationDialogProps): HTMLElement {
  const { question } = props;
  const button = (testid: string, label: string, onclick: () => void, primary = false) =>
    h("button", { class: primary ? "primary" : undefined, "data-testid": testid, disabled: props.answering, onclick }, label);
  const decline = button("elicit-decline", "Decline", () => props.onDecline());
  const cancel = button("elicit-cancel", "Cancel", () => props.onCancel());
  let body: (HTMLElement | string)[];
  let actions: HTMLElement[];
  if (question.kind === "form") {
    body = question.fields.map((field) => fieldRow(field, props.values, props.errors[field.name]));
    actions = [button("elicit-accept", "Accept", () => props.onAccept(), true), decline, cancel];
  } else if (question.kind === "url") {
    body = [
      h("p", {}, "It asks you to open this address. Nothing opens unless you press Open."),
      h("p", { class: "mono", "data-testid": "elicit-url" }, question.url),
    ];
    actions = [button("elicit-open", "Open in browser", () => props.onOpen(), true), decline, cancel];
  } else {
    body = [h("p", { class: "muted", "data-testid": "elicit-unknown" }, `This app cannot show it: ${question.why}.`)];
    actions = [decline, cancel];
  }
  return h(
    "div",
    { class: "dialog-backdrop" },
    h(
      "div",
      { class: "dialog", role: "dialog", "aria-modal": "true", "aria-labelledby": "elicit-title", "data-testid": "elicitation-dialog", "data-kind": question.kind },
      h("h2", { id: "elicit-title" }, `${props.server} asks`),
      question.message ? h("p", { "data-testid": "elicit-message" }, question.message) : null,
      h("form", { onsubmit: (event: Event) => event.preventDefault() }, body),
      h("div", { class: "actions" }, actions),
    ),
  );
}

function fieldRow(field: Field, values: Values, error: string | undefined): HTMLElement {
  const id = `elicit-field-${field.name}`;
  const label = h("label", { for: id }, field.label, field.required ? h("span", { class: "required", title: "required" }, " *") : null);
  const set = (value: Values[string]) => (values[field.name] = value);
  const common = { id, "data-testid": id, "data-field": field.name, "aria-invalid": error ? "true" : undefined };
  let input: HTMLElement;
  switch (field.kind) {
    case "boolean":
      input = h("input", { ...common, type: "checkbox", checked: values[field.name] === true, onchange: (e: Event) => set((e.target as HTMLInputElement).checked) });
      break;
    case "choice":
      input = h(
        "select",
        { ...common, required: field.required, onchange: (e: Event) => set((e.target as HTMLSelectElement).value) },
        field.required ? null : h("option", { value: "" }, "—"),
        field.options.map((o) => h("option", { value: o.value, selected: values[field.name] === o.value }, o.label)),
      );
      (input as HTMLSelectElement).value = String(values[field.name] ?? "");
      break;
    case "choices": {
      const chosen = () => (Array.isArray(values[field.name]) ? (values[field.name] as string[]) : []);
      input = h(
        "div",
        { ...common, role: "group" },
        field.options.map((o) =>
          h(
            "label",
            {},
            h("input", {
              type: "checkbox",
              value: o.value,
              checked: chosen().includes(o.value),
              onchange: (e: Event) => {
                const on = (e.target as HTMLInputElement).checked;
                set(on ? [...chosen(), o.value] : chosen().filter((v) => v !== o.value));
              },
            }),
            ` ${o.label}`,
          ),
        ),
      );
      break;
    }
    default:
      input = h("input", {
        ...common,
        type: field.kind === "string" ? (field.format === "email" ? "email" : "text") : "text",
        inputmode: field.kind === "integer" ? "numeric" : field.kind === "number" ? "decimal" : undefined,
        required: field.required,
        value: String(values[field.name] ?? ""),
        oninput: (e: Event) => set((e.target as HTMLInputElement).value),
      });
  }
  return h(
    "div",
    { class: "field" },
    label,
    input,
    field.description ? h("small", { class: "muted" }, field.description) : null,
    error ? h("small", { class: "error", "data-testid": `${id}-error` }, error) : null,
  );
}
