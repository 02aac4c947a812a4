// A live countdown element. It is rendered once from the status and then only its text and tone
// change: `tickCountdowns` runs every second over the whole window, without a re-render (which
// would move the focus) and without asking the shell.
import type { TokensView } from "../api";
import { countdown } from "../lib/countdown";
import { h } from "../lib/dom";
import { paintRetry } from "./badge";

const TONES = ["ok", "warn", "error", "muted"];

/** The expiry countdown of `tokens` at `now` (Unix seconds). */
export function countdownEl(tokens: TokensView, now: number, testid = "expiry"): HTMLElement {
  const renewable = tokens.hasRefreshToken || !tokens.signedInByPerson;
  const el = h("span", { class: "countdown", "data-testid": testid });
  if (tokens.accessExpiresAt !== null) {
    el.dataset.expiresAt = String(tokens.accessExpiresAt);
    el.title = `Access token expires at ${new Date(tokens.accessExpiresAt * 1000).toLocaleString()}`;
  }
  el.dataset.renewable = String(renewable);
  paint(el, now);
  return el;
}

function paint(el: HTMLElement, now: number): void {
  const at = el.dataset.expiresAt === undefined ? null : Number(el.dataset.expiresAt);
  const c = countdown(at, now, el.dataset.renewable === "true");
  if (el.textContent !== c.text) el.textContent = c.text;
  el.classList.remove(...TONES);
  el.classList.add(c.tone);
  el.dataset.expired = String(c.expired);
}

/** Brings every countdown under `root` to `now`: token expiries and refresh retry badges. */
export function tickCountdowns(root: ParentNode, now: number): void {
  for (const el of root.querySelectorAll<HTMLElement>(".countdown")) paint(el, now);
  for (const el of root.querySelectorAll<HTMLElement>(".retry-countdown")) paintRetry(el, now);
}
