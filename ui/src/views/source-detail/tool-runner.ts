// Trying a tool from a source's detail, after Test listed them: pick a tool, give its arguments
// as a JSON object, Run; the result (or the error) shows below. The call runs on a connection of
// its own in which the person answers what the server asks (the elicitation dialog). It edits the
// run in place, so a re-render keeps the choice and what is typed.
import type { ToolResultView, ToolView, UiError } from "../../api";
import { errorBanner } from "../../components/error-banner";
import { h } from "../../lib/dom";

export type ToolRun = {
  tool: string;
  /** The arguments as typed: a JSON object. */
  args: string;
  /** What is wrong with `args`, after a refused Run. */
  argsError?: string;
  state: { kind: "idle" } | { kind: "running" } | { kind: "done"; result: ToolResultView } | { kind: "failed"; error: UiError };
};

export function newRun(tools: ToolView[]): ToolRun {
  return { tool: tools[0]?.name ?? "", args: "{}", state: { kind: "idle" } };
}

/** The arguments as an object, or what is wrong with them. */
export function argumentsOf(args: string): Record<string, unknown> | string {
  if (args.trim() === "") return {};
  try {
    const parsed: unknown = JSON.parse(args);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    return "The arguments must be a JSON object, like {\"name\": \"value\"}.";
  } catch (err) {
    return `The arguments are not JSON: ${(err as Error).message}`;
  }
}

export interface ToolRunnerProps {
  tools: ToolView[];
  run: ToolRun;
  onRun(): void;
}

export function toolRunner(props: ToolRunnerProps): HTMLElement | null {
  const { tools, run } = props;
  if (tools.length === 0) return null;
  const running = run.state.kind === "running";
  return h(
    "div",
    { class: "tool-runner", "data-testid": "tool-runner" },
    h("h2", {}, "Try a tool"),
    h(
      "div",
      { class: "field" },
      h("label", { for: "run-tool" }, "Tool"),
      h(
        "select",
        { id: "run-tool", "data-testid": "run-tool", onchange: (e: Event) => (run.tool = (e.target as HTMLSelectElement).value) },
        tools.map((tool) => h("option", { value: tool.name, selected: tool.name === run.tool }, tool.name)),
      ),
    ),
    h(
      "div",
      { class: "field" },
      h("label", { for: "run-args" }, "Arguments (JSON)"),
      h("textarea", {
        id: "run-args",
        class: "mono",
        rows: "3",
        "data-testid": "run-args",
        "aria-invalid": run.argsError ? "true" : undefined,
        oninput: (e: Event) => (run.args = (e.target as HTMLTextAreaElement).value),
      }, run.args),
      run.argsError ? h("small", { class: "error", "data-testid": "run-args-error" }, run.argsError) : null,
    ),
    h("div", { class: "actions" }, h("button", { "data-testid": "run-tool-button", disabled: running, onclick: () => props.onRun() }, running ? "Running…" : "Run")),
    run.state.kind === "done"
      ? h(
          "pre",
          { class: run.state.result.isError ? "tool-result error" : "tool-result", "data-testid": "tool-result", "data-error": run.state.result.isError ? "true" : undefined },
          run.state.result.text || "(no content)",
        )
      : null,
    run.state.kind === "failed" ? errorBanner(run.state.error, "tool-run-error") : null,
  );
}
