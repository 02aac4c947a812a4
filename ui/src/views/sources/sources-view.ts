// The sources list: one row per source with name, transport, status badge and its main action,
// plus Add and Import. Renders from the state it is given; the app owns the state.
import type { ImportView, SourceView, UiError } from "../../api";
import { badgeFor, mainActionFor, transportLabel, type TestOutcome } from "../../lib/badge";
import { h } from "../../lib/dom";
import { errorBanner } from "../../components/error-banner";

export interface SourcesProps {
  /** `null` while the first load runs. */
  sources: SourceView[] | null;
  tests: ReadonlyMap<string, TestOutcome>;
  error?: UiError;
  imported?: ImportView;
  onOpen(id: string): void;
  onMainAction(source: SourceView): void;
  onAdd(): void;
  onImport(path: string): void;
}

export function sourcesView(props: SourcesProps): HTMLElement {
  const importPath = h("input", {
    id: "import-path",
    type: "text",
    placeholder: "~/.config/Claude/claude_desktop_config.json",
    "data-testid": "import-path",
    "aria-label": "Config file to import",
  });
  const importForm = h(
    "form",
    {
      class: "import",
      "data-testid": "import-form",
      onsubmit: (e: Event) => {
        e.preventDefault();
        if (importPath.value.trim() !== "") props.onImport(importPath.value.trim());
      },
    },
    h("label", { for: "import-path" }, "Import from a Claude Desktop, Cursor or VS Code config"),
    h("div", { class: "inline" }, importPath, h("button", { type: "submit", "data-testid": "import-button" }, "Import")),
  );

  return h(
    "section",
    { class: "view", "data-testid": "sources-view", "aria-labelledby": "sources-title" },
    h(
      "header",
      { class: "bar" },
      h("h1", { id: "sources-title", tabindex: "-1" }, "Sources"),
      h("button", { class: "primary", "data-testid": "add-source", onclick: () => props.onAdd() }, "Add source"),
    ),
    props.error ? errorBanner(props.error) : null,
    props.imported ? importSummary(props.imported) : null,
    body(props),
    importForm,
  );
}

function body(props: SourcesProps): HTMLElement {
  if (props.sources === null) return h("p", { class: "muted", "data-testid": "sources-loading" }, "Loading…");
  if (props.sources.length === 0) {
    return h(
      "div",
      { class: "empty", "data-testid": "sources-empty" },
      h("p", {}, "No sources yet."),
      h("p", { class: "muted" }, "Add an MCP server, or import the ones another app already knows."),
    );
  }
  return h(
    "ul",
    { class: "sources", "data-testid": "sources-list" },
    props.sources.map((source) => row(source, props)),
  );
}

function row(source: SourceView, props: SourcesProps): HTMLElement {
  const badge = badgeFor(source, props.tests.get(source.id));
  const action = mainActionFor(source);
  const running = props.tests.get(source.id)?.kind === "running";
  return h(
    "li",
    { class: "source-row", "data-testid": `source-row-${source.id}`, "data-state": badge.code },
    h(
      "button",
      { class: "link name", "data-testid": "source-open", onclick: () => props.onOpen(source.id) },
      source.name,
    ),
    h("span", { class: "transport", "data-testid": "source-transport" }, transportLabel(source)),
    h("span", { class: "target muted", title: source.target }, source.target),
    h("span", { class: `badge ${badge.tone}`, "data-testid": "source-badge", "data-code": badge.code }, badge.label),
    h(
      "button",
      {
        class: "action",
        "data-testid": "source-action",
        "data-action": action.kind,
        disabled: running,
        onclick: () => props.onMainAction(source),
      },
      running ? "Testing…" : action.label,
    ),
  );
}

function importSummary(result: ImportView): HTMLElement {
  return h(
    "div",
    { class: "notice", role: "status", "data-testid": "import-result" },
    h("p", {}, `Imported ${result.added.length} source(s)${result.added.length ? `: ${result.added.join(", ")}` : ""}.`),
    result.skipped.length
      ? h("ul", {}, result.skipped.map((s) => h("li", {}, `Skipped ${s.name}: ${s.reason}`)))
      : null,
  );
}
