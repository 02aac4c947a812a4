// The tools a source withholds from agents since their definition changed (the engine's pins,
// see docs/security.md): a *tools changed* badge for its row, and for its page each change as the
// engine words it (the difference line by line, suspicious text flagged) with Approve and Reject
// for each, and Approve for all.
import type { PendingTool, SourceView, Verdict } from "../api";
import { h } from "../lib/dom";

/** The row's badge while a change waits for the person; nothing otherwise. */
export function toolChangesBadge(source: SourceView): HTMLElement | null {
  const waiting = source.toolChanges.filter((t) => t.decision === "waiting").length;
  if (waiting === 0) return null;
  return h("span", { class: "badge warn", "data-testid": "tools-changed" }, "Tools changed");
}

/** The person's verdict on one withheld tool, or (without `tool`) Approve for all. */
export type OnReview = (tool?: string, verdict?: Verdict) => void;

/** The source page's review: each withheld tool with its difference, Approve and Reject, and
 * Approve for all. */
export function toolChangesView(source: SourceView, onReview: OnReview): HTMLElement | null {
  if (source.toolChanges.length === 0) return null;
  return h(
    "div",
    { class: "tool-changes", "data-testid": "tool-changes" },
    h("h2", {}, "Tools changed"),
    h(
      "p",
      { class: "muted" },
      "Agents do not get these tools until you approve them: their definition changed since you trusted it, or they are new.",
    ),
    ...source.toolChanges.map((tool) => change(tool, onReview)),
    h("button", { class: "primary", "data-testid": "approve-tools", onclick: () => onReview() }, "Approve all"),
  );
}

function change(tool: PendingTool, onReview: OnReview): HTMLElement {
  const what = tool.renamed_from ? `renamed from ${tool.renamed_from}` : tool.change;
  const rejected = tool.decision === "rejected" ? ", rejected" : "";
  return h(
    "div",
    { class: "tool-change", "data-testid": "tool-change", "data-name": tool.name, "data-change": tool.change },
    h("strong", {}, tool.name),
    h("span", { class: "muted" }, ` ${what}${rejected}`),
    h("pre", { class: "diff", "data-testid": "tool-diff" }, tool.diff.join("\n")),
    ...tool.flags.map((flag) =>
      h("p", { class: "flag", "data-testid": "tool-flag", "data-kind": flag.kind }, `⚠ ${flag.kind} in ${flag.field}: ${flag.detail}`),
    ),
    h("button", { "data-testid": "approve-tool", onclick: () => onReview(tool.name, "approve") }, "Approve"),
    tool.decision === "rejected"
      ? null
      : h("button", { "data-testid": "reject-tool", onclick: () => onReview(tool.name, "reject") }, "Reject"),
  );
}
