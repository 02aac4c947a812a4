// The Activity section of a source's detail: the newest entries of its activity log (connects,
// sign-ins, renewals, disconnects, agents' bridge sessions and calls, by agent), each with its time,
// in the engine's words (the same as `lanyard logs`).
import type { LogEntryView } from "../api";
import { h } from "../lib/dom";

/** `entries` newest first; `undefined` while not read yet. */
export function activityList(entries: LogEntryView[] | undefined): HTMLElement {
  return h(
    "div",
    { class: "activity", "data-testid": "activity" },
    h("h2", {}, "Activity"),
    entries === undefined
      ? h("p", { class: "muted" }, "Reading…")
      : entries.length === 0
        ? h("p", { class: "muted", "data-testid": "activity-empty" }, "Nothing has happened to this source yet.")
        : h(
            "ul",
            {},
            entries.map((entry) =>
              h(
                "li",
                { "data-testid": "activity-entry", "data-kind": entry.kind, class: entry.failed ? "failed" : undefined },
                h("time", { datetime: new Date(entry.at * 1000).toISOString() }, new Date(entry.at * 1000).toLocaleString()),
                " ",
                entry.text,
              ),
            ),
          ),
  );
}
