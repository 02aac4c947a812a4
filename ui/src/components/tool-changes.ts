// The tools a source withholds from agents since their definition changed (the engine's pins,
// see docs/security.md): a *tools changed* badge for its row, and for its page each change as the
// engine words it (the difference line by line, suspicious text flagged) with Approve.
import type { PendingTool, SourceView } from "../api";
import { h } from "../lib/dom";

/** The row's badge while a change waits for the person; nothing otherwise. */
export function toolChangesBadge(source: SourceView): HTMLElement | null {
  const waiting = source.toolChanges.filter((t) => t.decision === "waiting").length;
  if (waiting === 0) return null;
  return h("span", { class: "badge warn", "data-testid": "tools-changed" }, "Tools changed");
}

/** The source page's review: each withheld tool with its difference, and Approve for all. */
export function toolChangesView(source: SourceView, onApprove: () => void): HTMLElement | null {
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
    ...source.toolChanges.map(change),
    h("button", { class: "primary", "data-testid": "approve-tools", onclick: () => onApprove() }, "Approve"),
  );
}

function change(tool: PendingTool): HTMLElement {
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
  );
}
