// The bridge panel's Connected agents: the agent sessions the hub served recently, per source or
// the merged server. A streamable HTTP session has no "gone" signal but its end, so this counts
// sessions active within the engine's window and says so.
import type { AgentsView } from "../api";
import { h } from "../lib/dom";

export function agentsList(agents: AgentsView | null, onRefresh: () => void): HTMLElement {
  const refresh = h("button", { class: "link", "data-testid": "refresh-agents", onclick: () => onRefresh() }, "Refresh");
  const title = h("h2", {}, "Connected agents ", refresh);
  if (agents === null) return h("div", { class: "group", "data-testid": "agents" }, title, h("p", { class: "muted" }, "Reading…"));
  const window = `in the last ${agents.recentMinutes} minutes`;
  return h(
    "div",
    { class: "group", "data-testid": "agents" },
    title,
    agents.routes.length === 0
      ? h("p", { class: "muted", "data-testid": "agents-none" }, `No agent has used the bridge ${window}.`)
      : h(
          "div",
          {},
          h("p", { class: "muted" }, `Agent sessions active ${window}:`),
          h(
            "ul",
            { class: "urls" },
            agents.routes.map((r) =>
              h(
                "li",
                { "data-testid": "agent-route", "data-source": r.source ?? "merged", "data-sessions": String(r.sessions) },
                r.source === null ? "All sources (merged)" : h("code", {}, r.source),
                `: ${r.sessions} ${r.sessions === 1 ? "session" : "sessions"}`,
              ),
            ),
          ),
        ),
  );
}
