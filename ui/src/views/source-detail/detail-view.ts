// One source: its settings in words; for a source that signs in, its token status (live expiry
// countdown, scopes, issuer, account), Connect / Reconnect / Disconnect and where a sign-in
// stands; the last error with what to do; the tools it offers (listed by Test, through the same
// engine path an agent uses), trying one of them, and the tool editor (which of them agents see, under which names);
// for a stdio source, what it runs (and, for one from outside, *Approve and enable*); Enable/Disable
// and Remove.
import type { LogEntryView, SourceView } from "../../api";
import { activityList } from "../../components/activity-list";
import { badgeEl } from "../../components/badge";
import { errorBanner } from "../../components/error-banner";
import { noTools } from "../../components/no-tools";
import { signInStatus } from "../../components/sign-in-status";
import { type OnReview, toolChangesView } from "../../components/tool-changes";
import { lastTokenError, refreshFailureFacts, tokenFacts } from "../../components/token-facts";
import {
  authLabel,
  badgeFor,
  mainActionFor,
  todoFor,
  tokensOf,
  transportLabel,
  usesSignIn,
  waitsForApproval,
  type SignInProgress,
  type TestOutcome,
} from "../../lib/badge";
import { h } from "../../lib/dom";
import type { ToolEditor } from "../../lib/tool-filters";
import { approvalPanel, launchFacts } from "./launch-facts";
import { toolEditorView } from "./tool-editor";
import { toolRunner, type ToolRun } from "./tool-runner";

export interface DetailProps {
  source: SourceView;
  test?: TestOutcome;
  signIn?: SignInProgress;
  /** Unix seconds, for the countdown's first frame. */
  now: number;
  /** A short outcome to announce (e.g. what Disconnect did). */
  notice?: string;
  /** The Remove button asked "are you sure?" and waits for the second click. */
  confirmingRemove: boolean;
  onBack(): void;
  onTest(): void;
  onSignIn(): void;
  onDisconnect(): void;
  /** Stops a sign-in that waits for the browser. */
  onCancelSignIn(): void;
  /** Enables a disabled source (for one waiting for approval: *Approve and enable*), or disables. */
  onToggle(): void;
  onRemove(): void;
  /** Opens the edit form. */
  onEdit(): void;
  /** The newest activity log entries; absent until read. */
  activity?: LogEntryView[];
  /** Where the tool editor stands; absent while closed. */
  toolEditor?: ToolEditor;
  onEditTools(): void;
  onSaveTools(): void;
  onCancelTools(): void;
  /** Trying a tool, once Test listed them. */
  run?: ToolRun;
  onRun(): void;
  /** The person's verdict on a tool withheld since it changed; every one without `tool`. */
  onReviewTools: OnReview;
}

export function detailView(props: DetailProps): HTMLElement {
  const { source, test } = props;
  const badge = badgeFor(source, test, props.signIn);
  const running = test?.kind === "running";
  const tokens = tokensOf(source);
  const todo = todoFor(source, test, props.signIn);
  const waiting = waitsForApproval(source);
  return h(
    "section",
    { class: "view", "data-testid": "detail-view", "data-source": source.id, "aria-labelledby": "detail-title" },
    h(
      "header",
      { class: "bar" },
      h("button", { class: "link", "data-testid": "back", onclick: () => props.onBack() }, "← Sources"),
      h("h1", { id: "detail-title", tabindex: "-1" }, source.name),
      badgeEl(badge, props.now, "detail-badge"),
    ),
    props.notice ? h("p", { class: "notice", role: "status", "data-testid": "notice" }, props.notice) : null,
    approvalPanel(source, () => props.onToggle()),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Id"),
      h("dd", {}, source.id),
      h("dt", {}, "Transport"),
      h("dd", {}, transportLabel(source)),
      h("dt", {}, source.transport === "stdio" ? "Command" : "URL"),
      h("dd", { class: "mono", "data-testid": "fact-target" }, source.target),
      h("dt", {}, "Auth"),
      h("dd", { "data-testid": "fact-auth" }, authLabel(source)),
      source.protocol ? h("dt", {}, "Speaks") : null,
      source.protocol
        ? h("dd", { "data-testid": "fact-protocol", "data-protocol": source.protocol }, `MCP ${source.protocol} (last connection)`)
        : null,
    ),
    waiting || !source.launch ? null : h("div", {}, h("h2", {}, "What it runs"), launchFacts(source.launch)),
    tokens
      ? h(
          "div",
          {},
          h("h2", {}, "Sign-in"),
          h(
            "dl",
            { class: "facts", "data-testid": "token-facts" },
            tokenFacts(tokens, props.now),
            refreshFailureFacts(source, props.now),
          ),
        )
      : null,
    signInStatus(props.signIn, () => props.onCancelSignIn()),
    todo ? h("p", { class: "hint", "data-testid": "detail-hint" }, `To do: ${todo}`) : null,
    lastTokenError(source.activity, "detail-token-error"),
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
      signInButton(props),
      h(
        "button",
        {
          class: usesSignIn(source) ? undefined : "primary",
          "data-testid": "test-source",
          disabled: running || !source.enabled,
          title: source.enabled ? undefined : "Enable the source to test it",
          onclick: () => props.onTest(),
        },
        running ? "Testing…" : "Test",
      ),
      h("button", { "data-testid": "edit-source", onclick: () => props.onEdit() }, "Edit"),
      // Waiting for approval, enabling is the approval above, next to what it runs.
      waiting
        ? null
        : h(
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
    toolChangesView(source, props.onReviewTools),
    tools(test),
    test?.kind === "ok" && props.run ? toolRunner({ tools: test.tools, run: props.run, onRun: () => props.onRun() }) : null,
    toolEditorView({
      editor: props.toolEditor,
      enabled: source.enabled,
      onEdit: () => props.onEditTools(),
      onSave: () => props.onSaveTools(),
      onCancel: () => props.onCancelTools(),
    }),
    activityList(props.activity),
  );
}

/** Connect / Reconnect / Disconnect, for a source that signs in with the browser. */
function signInButton(props: DetailProps): HTMLElement | null {
  const { source } = props;
  if (!usesSignIn(source) || !source.enabled) return null;
  const action = mainActionFor(source, props.test, props.signIn);
  const kind = action.kind === "busy" || action.kind === "disconnect" || action.kind === "reconnect" ? action.kind : "connect";
  return h(
    "button",
    {
      class: kind === "disconnect" ? undefined : "primary",
      "data-testid": "sign-in-action",
      "data-action": kind,
      disabled: kind === "busy",
      onclick: () => (kind === "disconnect" ? props.onDisconnect() : props.onSignIn()),
    },
    kind === "busy" ? action.label : kind === "connect" ? "Connect" : action.label,
  );
}

function tools(test: TestOutcome | undefined): HTMLElement | null {
  if (test?.kind !== "ok") return null;
  return h(
    "div",
    { class: "tools" },
    h("h2", {}, `Tools (${test.tools.length})`),
    test.tools.length === 0
      ? noTools("tools-empty")
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
