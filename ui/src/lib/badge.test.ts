import { describe, expect, it } from "vitest";
import { badgeFor, mainActionFor } from "./badge";
import { disabled, needsSignIn, source } from "./fixtures";

const at = new Date(0);

describe("badgeFor", () => {
  it("shows Ready for a ready source never tested", () => {
    expect(badgeFor(source()).code).toBe("ready");
  });
  it("shows Connected after a Test that listed tools", () => {
    expect(badgeFor(source(), { kind: "ok", tools: [], at })).toMatchObject({ code: "connected", tone: "ok" });
  });
  it("shows Error after a failed Test, and Needs sign-in when the failure was a sign-in", () => {
    const unreachable = { kind: "failed", error: { kind: "Unreachable", message: "down" }, at } as const;
    expect(badgeFor(source(), unreachable)).toMatchObject({ code: "error", tone: "error" });
    const signIn = { kind: "failed", error: { kind: "NeedsSignIn", message: "401" }, at } as const;
    expect(badgeFor(source(), signIn).code).toBe("needs-sign-in");
  });
  it("shows the engine's own states whatever the last Test said", () => {
    expect(badgeFor(disabled(), { kind: "ok", tools: [], at }).code).toBe("disabled");
    expect(badgeFor(needsSignIn()).code).toBe("needs-sign-in");
    expect(badgeFor(source({ state: { kind: "missingSecret", reference: "header/X" } })).code).toBe("missing-secret");
    expect(badgeFor(source({ state: { kind: "other", summary: "refreshing" } }))).toMatchObject({
      code: "unknown",
      label: "refreshing",
    });
  });
});

describe("badgeFor, signed-in sources", () => {
  const tokens = { issuer: "https://as.example", scopes: ["read"], accessExpiresAt: 0, hasRefreshToken: false };
  it("shows the engine's Connected and Expiring soon", () => {
    expect(badgeFor(source({ state: { kind: "connected", tokens } })).code).toBe("connected");
    expect(badgeFor(source({ state: { kind: "expiring", tokens } }))).toMatchObject({ code: "expiring", tone: "warn" });
  });
  it("shows a refresh in flight, and a failed refresh as an error that retries", () => {
    expect(badgeFor(source({ state: { kind: "refreshing", tokens } }))).toMatchObject({ code: "refreshing", tone: "ok" });
    const error = { kind: "error", tokens, message: "down", hint: null, at: 0 } as const;
    expect(badgeFor(source({ state: error }))).toMatchObject({ code: "error", tone: "error" });
    expect(badgeFor(source({ state: error })).label).toContain("retrying");
  });
});

describe("mainActionFor", () => {
  it("offers Test when ready, Enable when disabled, Details otherwise", () => {
    expect(mainActionFor(source()).kind).toBe("test");
    expect(mainActionFor(disabled()).kind).toBe("enable");
    expect(mainActionFor(needsSignIn()).kind).toBe("details");
  });
});
