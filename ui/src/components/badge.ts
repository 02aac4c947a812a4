// A source's status badge. Most badges are fixed words; the one of a source whose refresh failed
// counts down to the engine's next attempt ("Error, retrying in 1:23"), so it ticks in place with
// the expiry countdowns (`tickCountdowns`) rather than through a re-render or a status read.
import type { Badge } from "../lib/badge";
import { retryWhen } from "../lib/countdown";
import { h } from "../lib/dom";

/** The badge of `badge` at `now` (Unix seconds), under `testid`. */
export function badgeEl(badge: Badge, now: number, testid: string): HTMLElement {
  const el = h("span", { class: `badge ${badge.tone}`, "data-testid": testid, "data-code": badge.code }, badge.label);
  if (badge.retryAt !== undefined) {
    el.classList.add("retry-countdown");
    el.dataset.retryAt = badge.retryAt === null ? "" : String(badge.retryAt);
    el.dataset.retryPrefix = "Error, retrying ";
    paintRetry(el, now);
  }
  return el;
}

/** A bare countdown to the next refresh attempt ("in 1:23", "on next use") that ticks. */
export function retryEl(retryAt: number | null, now: number, testid: string): HTMLElement {
  const el = h("span", {
    class: "retry-countdown",
    "data-testid": testid,
    "data-retry-at": retryAt === null ? "" : String(retryAt),
  });
  paintRetry(el, now);
  return el;
}

/** Brings a retry countdown (a badge or a bare one) to `now`. */
export function paintRetry(el: HTMLElement, now: number): void {
  const at = el.dataset.retryAt ? Number(el.dataset.retryAt) : null;
  const text = `${el.dataset.retryPrefix ?? ""}${retryWhen(at, now)}`;
  if (el.textContent !== text) el.textContent = text;
}
