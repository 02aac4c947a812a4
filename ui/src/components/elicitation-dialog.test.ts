import { describe, expect, it, vi } from "vitest";
import { initialValues, questionOf, type Question } from "../lib/elicitation";
import { elicitationDialog, type ElicitationDialogProps } from "./elicitation-dialog";

const form = questionOf({
  message: "Please review these values",
  requestedSchema: {
    type: "object",
    properties: {
      name: { type: "string", default: "John Doe" },
      age: { type: "integer", default: 30 },
      status: { type: "string", enum: ["active", "inactive"], default: "inactive" },
      verified: { type: "boolean", default: true },
      email: { type: "string", description: "Where we write" },
    },
    required: ["email"],
  },
});
const url = questionOf({ mode: "url", message: "Finish in the browser", url: "https://example.com/pay?x=1", elicitationId: "e1" });

function render(question: Question, over: Partial<ElicitationDialogProps> = {}) {
  const props: ElicitationDialogProps = {
    server: "Modern",
    question,
    values: question.kind === "form" ? initialValues(question.fields) : {},
    errors: {},
    answering: false,
    onAccept: vi.fn(),
    onOpen: vi.fn(),
    onDecline: vi.fn(),
    onCancel: vi.fn(),
    ...over,
  };
  return { el: elicitationDialog(props), props };
}
const q = (el: HTMLElement, id: string) => el.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const input = (el: HTMLElement, name: string) => q(el, `elicit-field-${name}`) as HTMLInputElement;

describe("the elicitation dialog", () => {
  it("shows who asks, the message and every field with its default; required ones marked", () => {
    const { el } = render(form);
    expect(q(el, "elicitation-dialog")?.getAttribute("role")).toBe("dialog");
    expect(el.textContent).toContain("Modern asks");
    expect(q(el, "elicit-message")?.textContent).toBe("Please review these values");
    expect(input(el, "name").value).toBe("John Doe");
    expect(input(el, "age").value).toBe("30");
    expect((q(el, "elicit-field-status") as HTMLSelectElement).value).toBe("inactive");
    expect(input(el, "verified").checked).toBe(true);
    expect(input(el, "email").value).toBe("");
    const label = (name: string) => el.querySelector(`label[for="elicit-field-${name}"]`)!;
    expect(label("email").querySelector(".required")).not.toBeNull();
    expect(label("name").querySelector(".required")).toBeNull();
    expect(el.textContent).toContain("Where we write");
  });

  it("what is typed lands in the values, and the buttons answer", () => {
    const { el, props } = render(form);
    const name = input(el, "name");
    name.value = "Ada";
    name.dispatchEvent(new Event("input"));
    input(el, "verified").checked = false;
    input(el, "verified").dispatchEvent(new Event("change"));
    const status = q(el, "elicit-field-status") as HTMLSelectElement;
    status.value = "active";
    status.dispatchEvent(new Event("change"));
    expect(props.values).toMatchObject({ name: "Ada", verified: false, status: "active" });
    q(el, "elicit-accept")!.click();
    q(el, "elicit-decline")!.click();
    q(el, "elicit-cancel")!.click();
    expect([props.onAccept, props.onDecline, props.onCancel].map((f) => (f as ReturnType<typeof vi.fn>).mock.calls.length)).toEqual([1, 1, 1]);
  });

  it("shows a field's error and disables the buttons while the answer is on its way", () => {
    expect(q(render(form, { errors: { email: "Required." } }).el, "elicit-field-email-error")?.textContent).toBe("Required.");
    const { el } = render(form, { answering: true });
    expect((q(el, "elicit-accept") as HTMLButtonElement).disabled).toBe(true);
  });

  it("URL mode shows the URL as text, links nothing and opens only on Open", () => {
    const { el, props } = render(url);
    expect(q(el, "elicit-url")?.textContent).toBe("https://example.com/pay?x=1");
    expect(q(el, "elicit-message")?.textContent).toBe("Finish in the browser");
    expect(el.querySelector("a, iframe")).toBeNull();
    expect(q(el, "elicit-accept")).toBeNull();
    expect(props.onOpen).not.toHaveBeenCalled();
    q(el, "elicit-open")!.click();
    expect(props.onOpen).toHaveBeenCalledOnce();
    expect(q(el, "elicit-decline")).not.toBeNull();
    expect(q(el, "elicit-cancel")).not.toBeNull();
  });
});
