import { describe, expect, it } from "vitest";
import { SOON_SECS, clock, countdown, duration, retryText, retryWhen } from "./countdown";

describe("duration", () => {
  it("reads in the largest two units", () => {
    expect(duration(45)).toBe("45s");
    expect(duration(250)).toBe("4m 10s");
    expect(duration(7500)).toBe("2h 5m");
    expect(duration(3 * 86400 + 4 * 3600 + 59)).toBe("3d 4h");
  });
  it("never shows negative or fractional seconds", () => {
    expect(duration(-3)).toBe("0s");
    expect(duration(59.9)).toBe("59s");
  });
});

describe("countdown", () => {
  const now = 1_800_000_000;
  it("counts down to a token's expiry, calm while far", () => {
    expect(countdown(now + 3600, now, true)).toEqual({ text: "expires in 1h 0m", tone: "ok", expired: false });
  });
  it("warns within the last minutes", () => {
    expect(countdown(now + SOON_SECS, now, true).tone).toBe("warn");
    expect(countdown(now + SOON_SECS + 1, now, true).tone).toBe("ok");
  });
  it("an expired token that can be renewed says so, as a warning", () => {
    expect(countdown(now - 90, now, true)).toEqual({
      text: "expired 1m 30s ago, renewed on next use",
      tone: "warn",
      expired: true,
    });
  });
  it("an expired token without renewal is an error", () => {
    expect(countdown(now, now, false)).toMatchObject({ tone: "error", expired: true, text: "expired 0s ago" });
  });
  it("a server that gave no lifetime has no countdown", () => {
    expect(countdown(null, now, true)).toEqual({ text: "no expiry given", tone: "muted", expired: false });
  });
  it("moves with the clock", () => {
    expect(countdown(now + 61, now, true).text).toBe("expires in 1m 1s");
    expect(countdown(now + 61, now + 1, true).text).toBe("expires in 1m 0s");
  });
});

describe("the refresh backoff's countdown", () => {
  it("reads as a clock", () => {
    expect(clock(83)).toBe("1:23");
    expect(clock(5)).toBe("0:05");
    expect(clock(300)).toBe("5:00");
    expect(clock(3723)).toBe("1:02:03");
    expect(clock(-4), "never negative").toBe("0:00");
  });
  it("counts down to the engine's next attempt, then says the next use tries", () => {
    expect(retryText(1_083, 1_000)).toBe("Error, retrying in 1:23");
    expect(retryText(1_001, 1_000)).toBe("Error, retrying in 0:01");
    expect(retryText(1_000, 1_000), "the backoff is over").toBe("Error, retrying on next use");
    expect(retryText(null, 1_000), "no backoff recorded").toBe("Error, retrying on next use");
    expect(retryWhen(1_010, 1_000)).toBe("in 0:10");
  });
});
