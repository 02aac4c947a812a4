import { describe, expect, it } from "vitest";
import { connected, refreshFailing, source } from "./fixtures";
import { MIN_SECS, PERIOD_SECS, nextReadIn } from "./schedule";

const now = 1_800_000_000;

describe("nextReadIn", () => {
  it("reads on the usual period when nothing expires soon", () => {
    expect(nextReadIn([], now)).toBe(PERIOD_SECS);
    expect(nextReadIn([source(), connected({ accessExpiresAt: now + 3600 })], now)).toBe(PERIOD_SECS);
  });
  it("reads just after the earliest expiry within the period", () => {
    const sources = [connected({ accessExpiresAt: now + 30 }), connected({ accessExpiresAt: now + 20 })];
    expect(nextReadIn(sources, now)).toBe(21);
  });
  it("reads just after a failed refresh's backoff ends, when that comes first", () => {
    expect(nextReadIn([refreshFailing(2, now + 12)], now)).toBe(13);
    expect(nextReadIn([refreshFailing(2, null)], now), "no backoff: nothing to wait for").toBe(PERIOD_SECS);
  });
  it("never reads more often than the floor, and ignores tokens already expired", () => {
    expect(nextReadIn([connected({ accessExpiresAt: now + 1 })], now)).toBe(MIN_SECS);
    expect(nextReadIn([connected({ accessExpiresAt: now - 100 })], now)).toBe(PERIOD_SECS);
  });
});
