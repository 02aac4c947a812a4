import { beforeEach, describe, expect, it, vi } from "vitest";
import { setInvoke } from "./api/call";
import { setListen } from "./api/events";
import { App } from "./app";
import { source } from "./lib/fixtures";

// A server's questions during a tried tool, inside the App against a fake shell: the dialog opens
// on the shell's event over the open view, and each button answers the question once.
describe("App, a server's questions", () => {
  let calls: { command: string; args?: Record<string, unknown> }[];
  const handlers = new Map<string, (payload: unknown) => void>();
  let root: HTMLElement;

  beforeEach(async () => {
    calls = [];
    handlers.clear();
    setInvoke(async (command, args) => {
      calls.push({ command, args });
      switch (command) {
        case "list_sources":
          return [source({ id: "modern", name: "Modern" })];
        case "set_health":
        case "source_activity":
          return command === "source_activity" ? [] : null;
        case "hub_status":
          return { kind: "starting" };
        case "start_at_login":
          return false;
        case "answer_elicitation":
          return true;
        case "open_elicitation_url":
          return true;
        default:
          throw new Error(`unexpected command ${command}`);
      }
    });
    setListen(async (name, handler) => {
      handlers.set(name, handler);
      return () => handlers.delete(name);
    });
    root = document.createElement("div");
    document.body.replaceChildren(root);
    await new App(root).start();
  });

  const q = (id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
  const answers = () => calls.filter((c) => c.command === "answer_elicitation").map((c) => c.args);
  const ask = (number: number, request: unknown) => handlers.get("elicitationAsked")!({ number, sourceId: "modern", request });
  const form = {
    message: "Please review these values",
    requestedSchema: {
      type: "object",
      properties: { name: { type: "string", default: "John Doe" }, age: { type: "integer", default: 30 } },
      required: ["name"],
    },
  };

  it("Accept sends what was typed, typed as the schema says, and closes the dialog", async () => {
    ask(4, form);
    expect(q("elicitation-dialog")?.textContent).toContain("Modern asks");
    const name = q("elicit-field-name") as HTMLInputElement;
    name.value = "Ada Lovelace";
    name.dispatchEvent(new Event("input"));
    q("elicit-accept")!.click();
    await vi.waitFor(() => expect(q("elicitation-dialog")).toBeNull());
    expect(answers()).toEqual([{ number: 4, answer: { action: "accept", content: { name: "Ada Lovelace", age: 30 } } }]);
  });

  it("a required field left empty keeps the dialog open and sends nothing", () => {
    ask(5, form);
    const name = q("elicit-field-name") as HTMLInputElement;
    name.value = "";
    name.dispatchEvent(new Event("input"));
    q("elicit-accept")!.click();
    expect(q("elicit-field-name-error")?.textContent).toBe("Required.");
    expect(answers()).toEqual([]);
  });

  it("Decline and Cancel answer without values; questions are shown one after another", async () => {
    ask(6, form);
    ask(7, form);
    q("elicit-decline")!.click();
    await vi.waitFor(() => expect(answers()).toHaveLength(1));
    await vi.waitFor(() => expect(q("elicitation-dialog")).not.toBeNull());
    q("elicit-cancel")!.click();
    await vi.waitFor(() => expect(q("elicitation-dialog")).toBeNull());
    expect(answers()).toEqual([
      { number: 6, answer: { action: "decline", content: null } },
      { number: 7, answer: { action: "cancel", content: null } },
    ]);
  });

  it("a URL question opens nothing until Open, which opens it and accepts", async () => {
    ask(8, { mode: "url", message: "Pay here", url: "https://example.com/pay", elicitationId: "e8" });
    expect(q("elicit-url")?.textContent).toBe("https://example.com/pay");
    expect(calls.map((c) => c.command)).not.toContain("open_elicitation_url");
    q("elicit-open")!.click();
    await vi.waitFor(() => expect(q("elicitation-dialog")).toBeNull());
    expect(calls.filter((c) => c.command === "open_elicitation_url").map((c) => c.args)).toEqual([{ number: 8 }]);
    expect(answers()).toEqual([{ number: 8, answer: { action: "accept", content: null } }]);
  });
});
