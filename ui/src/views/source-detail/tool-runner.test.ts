import { describe, expect, it, vi } from "vitest";
import { argumentsOf, newRun, toolRunner, type ToolRun } from "./tool-runner";

const tools = [
  { name: "test_simple_text", description: null },
  { name: "test_elicitation_sep1034_defaults", description: "Asks for five fields" },
];
const q = (el: HTMLElement, id: string) => el.querySelector<HTMLElement>(`[data-testid="${id}"]`);

describe("trying a tool", () => {
  it("offers the listed tools, keeps the choice and the typed arguments in the run, and runs", () => {
    const run = newRun(tools);
    const onRun = vi.fn();
    const el = toolRunner({ tools, run, onRun })!;
    const select = q(el, "run-tool") as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).toEqual(tools.map((t) => t.name));
    select.value = "test_elicitation_sep1034_defaults";
    select.dispatchEvent(new Event("change"));
    const args = q(el, "run-args") as HTMLTextAreaElement;
    args.value = '{"a": 1}';
    args.dispatchEvent(new Event("input"));
    expect(run).toMatchObject({ tool: "test_elicitation_sep1034_defaults", args: '{"a": 1}' });
    q(el, "run-tool-button")!.click();
    expect(onRun).toHaveBeenCalledOnce();
    expect((q(toolRunner({ tools, run, onRun })!, "run-tool") as HTMLSelectElement).value).toBe(run.tool);
  });

  it("shows the result, a tool error, a failed call, and Running while it runs", () => {
    const run: ToolRun = { ...newRun(tools), state: { kind: "done", result: { isError: false, text: "Elicitation completed: {}" } } };
    expect(q(toolRunner({ tools, run, onRun: vi.fn() })!, "tool-result")?.textContent).toBe("Elicitation completed: {}");
    run.state = { kind: "done", result: { isError: true, text: "boom" } };
    expect(q(toolRunner({ tools, run, onRun: vi.fn() })!, "tool-result")?.dataset.error).toBe("true");
    run.state = { kind: "failed", error: { kind: "Other", message: "The server did not answer." } };
    expect(q(toolRunner({ tools, run, onRun: vi.fn() })!, "tool-run-error")?.textContent).toContain("did not answer");
    run.state = { kind: "running" };
    const button = q(toolRunner({ tools, run, onRun: vi.fn() })!, "run-tool-button") as HTMLButtonElement;
    expect([button.disabled, button.textContent]).toEqual([true, "Running…"]);
  });

  it("reads the arguments as a JSON object and says what is wrong otherwise", () => {
    expect(argumentsOf("")).toEqual({});
    expect(argumentsOf('{"region": "eu"}')).toEqual({ region: "eu" });
    expect(argumentsOf("[1]")).toMatch(/must be a JSON object/);
    expect(argumentsOf("{nope")).toMatch(/not JSON/);
  });

  it("shows nothing for a source without tools", () => {
    expect(toolRunner({ tools: [], run: newRun([]), onRun: vi.fn() })).toBeNull();
  });
});
