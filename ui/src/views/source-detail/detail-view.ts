// One source: its settings in words, the last error with what to do, the tools it offers
// (listed by Test, through the same engine path an agent uses), Enable/Disable and Remove.
import type { SourceView } from "../../api";
import { badgeFor, transportLabel, type TestOutcome } from "../../lib/badge";
import { h } from "../../lib/dom";
import { errorBanner } from "../../components/error-banner";

export interface DetailProps {
  source: SourceView;
  test?: TestOutcome;
  /** The Remove button asked "are you sure?" and waits for the second click. */
  confirmingRemove: boolean;
  onBack(): void;
  onTest(): void;
  onToggle(): void;
  onRemove(): void;
}

export function detailView(props: DetailProps): HTMLElement {
  const { source, test } = props;
  const badge = badgeFor(source, test);
  const running = test?.kind === "running";
  return h(
    "section",
    { class: "view", "data-testid": "detail-view", "data-source": source.id, "aria-labelledby": "detail-title" },
    h(
      "header",
      { class: "bar" },
      h("button", { class: "link", "data-testid": "back", onclick: () => props.onBack() }, "← Sources"),
      h("h1", { id: "detail-title", tabindex: "-1" }, source.name),
      h("span", { class: `badge ${badge.tone}`, "data-testid": "detail-badge", "data-code": badge.code }, badge.label),
    ),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Id"),
      h("dd", {}, source.id),
      h("dt", {}, "Transport"),
      h("dd", {}, transportLabel(source)),
      h("dt", {}, source.transport === "stdio" ? "Command" : "URL"),
      h("dd", { class: "mono" }, source.target),
      h("dt", {}, "Auth"),
      h("dd", {}, source.auth),
    ),
    source.hint ? h("p", { class: "hint", "data-testid": "detail-hint" }, `To do: ${source.hint}`) : null,
    test?.kind === "failed"
      ? h(
          "div",
          { "data-testid": "last-error" },
          h("h2", {}, `Last error (${test.at.toLocaleTimeString()})`),
          errorBanner(test.error, "detail-error"),
        )
      : null,
    h(
      "div",
      { class: "actions" },
      h(
        "button",
        {
          class: "primary",
          "data-testid": "test-source",
          disabled: running || !source.enabled,
          title: source.enabled ? undefined : "Enable the source to test it",
          onclick: () => props.onTest(),
        },
        running ? "Testing…" : "Test",
      ),
      h(
        "button",
        { "data-testid": "toggle-enabled", onclick: () => props.onToggle() },
        source.enabled ? "Disable" : "Enable",
      ),
      h(
        "button",
        { class: "danger", "data-testid": "remove-source", onclick: () => props.onRemove() },
        props.confirmingRemove ? "Click again to remove" : "Remove",
      ),
    ),
    tools(test),
  );
}

function tools(test: TestOutcome | undefined): HTMLElement | null {
  if (test?.kind !== "ok") return null;
  return h(
    "div",
    { class: "tools" },
    h("h2", {}, `Tools (${test.tools.length})`),
    test.tools.length === 0
      ? h("p", { class: "muted", "data-testid": "tools-empty" }, "This source offers no tools.")
      : h(
          "ul",
          { "data-testid": "tools-list" },
          test.tools.map((tool) =>
            h(
              "li",
              { "data-testid": "tool", "data-name": tool.name },
              h("code", {}, tool.name),
              tool.description ? h("span", { class: "muted" }, ` ${tool.description.split("\n")[0]}`) : null,
            ),
          ),
        ),
  );
}
