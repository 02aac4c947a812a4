// When to read status again without being asked. Reading status touches the keychain once per
// source, so it runs on a modest period, and sooner only when a token is about to expire or a
// failed refresh's backoff ends (its badge may change then: the hub may have retried). The countdowns themselves tick from the last status, with no read.
import type { SourceView } from "../api";
import { tokensOf } from "./badge";

/** The usual period between two status reads. */
export const PERIOD_SECS = 60;
/** Never read more often than this, whatever expires. */
export const MIN_SECS = 5;

/** Seconds until the next status read, from the sources as last read and the clock. */
export function nextReadIn(sources: readonly SourceView[], now: number): number {
  let next = PERIOD_SECS;
  for (const source of sources) {
    const retryAt = source.state.kind === "error" ? source.state.retryAt : null;
    for (const at of [tokensOf(source)?.accessExpiresAt, retryAt]) {
      if (at === null || at === undefined || at <= now) continue;
      next = Math.min(next, at - now + 1);
    }
  }
  return Math.max(MIN_SECS, next);
}
