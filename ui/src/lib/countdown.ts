// The access token's expiry as people read it: "expires in 4m 10s", "expired 2m ago". A pure
// function of the expiry and the clock, so the list can tick every second without asking the
// shell (reading status touches the keychain), and every boundary is tested without a window.
import type { Tone } from "./badge";

/** Below this many seconds left, the countdown turns to a warning (the engine renews a token
 *  one minute before it expires, so a warning means renewal is near or overdue). */
export const SOON_SECS = 2 * 60;

export interface Countdown {
  text: string;
  tone: Tone;
  /** Whether the access token has expired by `now`. */
  expired: boolean;
}

/** Seconds as "45s", "4m 10s", "2h 5m", "3d 4h" (the same steps as `lanyard status`). */
export function duration(secs: number): string {
  const s = Math.max(0, Math.floor(secs));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/**
 * The countdown to `expiresAt` (Unix seconds) at `now` (Unix seconds). `renewable` says whether
 * the engine can renew the token on its next use (a refresh token, or a service account), which
 * makes an expired token a normal thing rather than a problem.
 */
export function countdown(expiresAt: number | null, now: number, renewable: boolean): Countdown {
  if (expiresAt === null) return { text: "no expiry given", tone: "muted", expired: false };
  const left = expiresAt - now;
  if (left <= 0) {
    return renewable
      ? { text: `expired ${duration(-left)} ago, renewed on next use`, tone: "warn", expired: true }
      : { text: `expired ${duration(-left)} ago`, tone: "error", expired: true };
  }
  return { text: `expires in ${duration(left)}`, tone: left <= SOON_SECS ? "warn" : "ok", expired: false };
}

/** Unix seconds now. */
export const nowSecs = (): number => Math.floor(Date.now() / 1000);

/** A Unix time as a local clock time, for "last error at 14:05:12". */
export function clockTime(at: number): string {
  return new Date(at * 1000).toLocaleTimeString();
}

/** Seconds as a clock, "1:23", "0:05", "1:02:03": the refresh backoff's countdown. */
export function clock(secs: number): string {
  const s = Math.max(0, Math.floor(secs));
  const ss = String(s % 60).padStart(2, "0");
  if (s < 3600) return `${Math.floor(s / 60)}:${ss}`;
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}:${ss}`;
}

/**
 * The badge of a source whose last refresh failed, at `now`: "Error, retrying in 1:23" while the
 * engine's backoff runs (`retryAt`, Unix seconds), then "Error, retrying on next use" (the engine
 * tries again when the source is next used, by an agent or a Test).
 */
export function retryText(retryAt: number | null, now: number): string {
  return `Error, retrying ${retryWhen(retryAt, now)}`;
}

/** When the engine tries a failed refresh again: "in 1:23", or "on next use" once the backoff
 *  is over (or there was none). */
export function retryWhen(retryAt: number | null, now: number): string {
  return retryAt === null || retryAt <= now ? "on next use" : `in ${clock(retryAt - now)}`;
}
