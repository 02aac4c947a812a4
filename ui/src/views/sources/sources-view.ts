// The sources list: one row per source with name, transport, status badge and its main action
// (Test, Connect, Reconnect, Disconnect, Enable), and under it, for a source with tokens, the
// expiry countdown, the granted scopes and the last token error; plus Add, Import, the way to
// the bridge panel (with the hub's state) and to the Clients view, and the Start at login setting. Renders from the state it is given; the app owns it.
import type { CatalogOutdatedSource, HubView, ImportView, SourceView, UiError } from "../../api";
import { badgeEl } from "../../components/badge";
import { toolChangesBadge } from "../../components/tool-changes";
import { countdownEl } from "../../components/countdown";
import { errorBanner } from "../../components/error-banner";
import { lastTokenError, scopesEl } from "../../components/token-facts";
import { hubSummary } from "../../lib/bridge";
import { updateFor } from "../../lib/catalog";
import {
  badgeFor,
  mainActionFor,
  tokensOf,
  transportLabel,
  waitsForApproval,
  type SignInProgress,
  type TestOutcome,
} from "../../lib/badge";
import { h } from "../../lib/dom";

export interface SourcesProps {
  /** `null` while the first load runs. */
  sources: SourceView[] | null;
  tests: ReadonlyMap<string, TestOutcome>;
  signIns: ReadonlyMap<string, SignInProgress>;
  /** Unix seconds, for the countdowns' first frame (they tick on their own afterwards). */
  now: number;
  error?: UiError;
  /** A short outcome to announce (e.g. what Disconnect did). */
  notice?: string;
  imported?: ImportView;
  /** The hub's state for the Bridge button; `null` until the shell answers. */
  hub: HubView | null;
  onOpen(id: string): void;
  onMainAction(source: SourceView): void;
  onAdd(): void;
  onImport(path: string): void;
  onBridge(): void;
  /** Opens the Clients view: the agents and IDEs to point at Lanyard. */
  onClients(): void;
  /** Opens the Catalogue: servers from the MCP registries. */
  onCatalog(): void;
  /** Sources whose registry entry has a newer version, and opening that version's details. */
  outdated: readonly CatalogOutdatedSource[];
  onUpdate(row: CatalogOutdatedSource): void;
  /** Opens the Agents view: who may call the bridge, and what each called. */
  onAgents(): void;
  /** Whether the app starts at login; `null` while unknown (or on a desktop that cannot say). */
  startAtLogin: boolean | null;
  onStartAtLogin(enabled: boolean): void;
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
      h("button", { "data-testid": "open-catalog", onclick: () => props.onCatalog() }, "Catalogue"),
      h("button", { "data-testid": "open-clients", onclick: () => props.onClients() }, "Clients"),
      h("button", { "data-testid": "open-agents", onclick: () => props.onAgents() }, "Agents"),
      bridgeButton(props),
      h("button", { class: "primary", "data-testid": "add-source", onclick: () => props.onAdd() }, "Add source"),
    ),
    props.error ? errorBanner(props.error) : null,
    props.notice ? h("p", { class: "notice", role: "status", "data-testid": "notice" }, props.notice) : null,
    props.imported ? importSummary(props.imported) : null,
    body(props),
    importForm,
    startAtLogin(props),
  );
}

/** The login item: off until the person turns it on. */
function startAtLogin(props: SourcesProps): HTMLElement | null {
  if (props.startAtLogin === null) return null;
  const box = h("input", {
    type: "checkbox",
    id: "start-at-login",
    checked: props.startAtLogin,
    "data-testid": "start-at-login",
  });
  box.addEventListener("change", () => props.onStartAtLogin(box.checked));
  return h(
    "p",
    { class: "setting" },
    h("label", { class: "check", for: "start-at-login" }, box, "Start Lanyard at login (the bridge is then ready for agents)"),
  );
}

/** The way to the bridge panel, saying whether the bridge runs. */
function bridgeButton(props: SourcesProps): HTMLElement {
  const summary = hubSummary(props.hub);
  return h(
    "button",
    { "data-testid": "open-bridge", "data-hub": summary.code, onclick: () => props.onBridge() },
    "Bridge ",
    h("span", { class: `badge ${summary.tone}` }, summary.label),
  );
}

function body(props: SourcesProps): HTMLElement {
  if (props.sources === null) return h("p", { class: "muted", "data-testid": "sources-loading" }, "Loading…");
  if (props.sources.length === 0) {
    return h(
      "div",
      { class: "empty", "data-testid": "sources-empty" },
      h("p", {}, "No sources yet."),
      h("p", { class: "muted" }, "Add an MCP server, find one in the catalogue, or import the ones another app already knows."),
      h("button", { "data-testid": "empty-catalog", onclick: () => props.onCatalog() }, "Browse the catalogue"),
    );
  }
  return h(
    "ul",
    { class: "sources", "data-testid": "sources-list" },
    props.sources.map((source) => row(source, props)),
  );
}

function row(source: SourceView, props: SourcesProps): HTMLElement {
  const test = props.tests.get(source.id);
  const signIn = props.signIns.get(source.id);
  const badge = badgeFor(source, test, signIn);
  const action = mainActionFor(source, test, signIn);
  const running = test?.kind === "running";
  return h(
    "li",
    { class: "source-row", "data-testid": `source-row-${source.id}`, "data-state": badge.code },
    h(
      "span",
      {},
      h(
        "button",
        { class: "link name", "data-testid": "source-open", onclick: () => props.onOpen(source.id) },
        source.name,
      ),
      toolChangesBadge(source),
    ),
    h("span", { class: "transport", "data-testid": "source-transport" }, transportLabel(source)),
    h("span", { class: "target muted", title: source.target }, source.target),
    badgeEl(badge, props.now, "source-badge"),
    h(
      "button",
      {
        class: "action",
        "data-testid": "source-action",
        "data-action": action.kind,
        disabled: running || action.kind === "busy",
        onclick: () => props.onMainAction(source),
      },
      running ? "Testing…" : action.label,
    ),
    approvalLine(source),
    tokenLine(source, signIn, props.now),
    updateLine(updateFor(source.id, props.outdated), props),
  );
}

/** Under the row: the countdown and scopes of a source with tokens, a sign-in waiting for the
 *  browser, and the last token error. Nothing for a source without any of these. */
function tokenLine(source: SourceView, signIn: SignInProgress | undefined, now: number): HTMLElement | null {
  const tokens = tokensOf(source);
  const waiting = signIn?.kind === "starting" || signIn?.kind === "waiting";
  const error = lastTokenError(source.activity, "row-token-error");
  if (!tokens && !waiting && !error) return null;
  return h(
    "div",
    { class: "token-line", "data-testid": "token-line" },
    waiting ? h("span", { "data-testid": "row-waiting" }, "Waiting for the browser to finish the sign-in…") : null,
    tokens ? countdownEl(tokens, now) : null,
    tokens ? scopesEl(tokens.scopes) : null,
    tokens?.account ? h("span", { class: "muted", "data-testid": "account" }, tokens.account) : null,
    error,
  );
}

/** Under the row of a stdio source from outside: nothing runs until the person approves it, and
 *  the command it would run shows here already. */
function approvalLine(source: SourceView): HTMLElement | null {
  if (!waitsForApproval(source)) return null;
  return h(
    "p",
    { class: "hint", "data-testid": "row-approval" },
    "Nothing has run yet: check what it runs, then approve it. It runs ",
    h("code", {}, source.launch?.command_line ?? source.target),
  );
}

/** Under the row of a source from a registry that has a newer version. */
function updateLine(row: CatalogOutdatedSource | undefined, props: SourcesProps): HTMLElement | null {
  if (!row) return null;
  return h(
    "p",
    { class: "hint", "data-testid": "row-update" },
    `Version ${row.latest} is out (this is ${row.current}). `,
    h("button", { class: "link", "data-testid": "row-update-open", onclick: () => props.onUpdate(row) }, "See the update"),
  );
}

function importSummary(result: ImportView): HTMLElement {
  return h(
    "div",
    { class: "notice", role: "status", "data-testid": "import-result" },
    h("p", {}, `Imported ${result.added.length} source(s)${result.added.length ? `: ${result.added.join(", ")}` : ""}.`),
    result.waiting_said ? h("p", { "data-testid": "import-waiting" }, result.waiting_said) : null,
    result.skipped.length
      ? h("ul", {}, result.skipped.map((s) => h("li", {}, `Skipped ${s.name}: ${s.reason}`)))
      : null,
  );
}
