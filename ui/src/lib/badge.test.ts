import { describe, expect, it } from "vitest";
import { badgeFor, mainActionFor, todoFor, tokensOf } from "./badge";
import { connected, disabled, needsSignIn, signInExpired, source, tokens } from "./fixtures";

const at = new Date(0);
const refused = { kind: "failed", error: { kind: "NeedsSignIn", message: "401" }, at } as const;

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
    expect(badgeFor(source(), refused).code).toBe("needs-sign-in");
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
  it("shows the engine's Connected and Expiring soon", () => {
    expect(badgeFor(connected()).code).toBe("connected");
    expect(badgeFor(source({ state: { kind: "expiring", tokens: tokens() } }))).toMatchObject({
      code: "expiring",
      tone: "warn",
    });
  });
  it("shows Needs more scope and unreadable tokens", () => {
    const more = source({ auth: "oauth", state: { kind: "needsMoreScope", tokens: tokens(), scopes: ["admin"] } });
    expect(badgeFor(more)).toMatchObject({ code: "needs-more-scope", tone: "warn" });
    expect(badgeFor(source({ auth: "oauth", state: { kind: "tokensUnreadable" } })).code).toBe("tokens-unreadable");
  });
  it("a Test the server refused outranks a Connected read before it", () => {
    expect(badgeFor(connected(), refused).code, "the server just said the sign-in is gone").toBe("needs-sign-in");
  });
  it("shows Signing in while the browser has the sign-in, and not for a disabled source", () => {
    expect(badgeFor(needsSignIn(), undefined, { kind: "waiting", url: "https://as.example/a" }).code).toBe("signing-in");
    expect(badgeFor(disabled(), undefined, { kind: "starting" }).code).toBe("disabled");
  });
  it("shows a refresh in flight, and a failed refresh as an error that retries", () => {
    expect(badgeFor(source({ state: { kind: "refreshing", tokens: tokens() } }))).toMatchObject({ code: "refreshing", tone: "ok" });
    const error = { kind: "error", tokens: tokens(), message: "down", hint: null, at: 0, retryAt: 83 } as const;
    expect(badgeFor(source({ state: error }))).toMatchObject({ code: "error", tone: "error", retryAt: 83 });
    expect(badgeFor(source({ state: error })).label).toContain("retrying");
    expect(badgeFor(source({ state: { ...error, retryAt: null } })).retryAt, "no backoff: on next use").toBeNull();
    expect(badgeFor(connected()).retryAt, "only a failed refresh counts down").toBeUndefined();
  });
});

describe("mainActionFor", () => {
  it("offers Test when ready, Enable when disabled, Details otherwise", () => {
    expect(mainActionFor(source()).kind).toBe("test");
    expect(mainActionFor(disabled()).kind).toBe("enable");
    expect(mainActionFor(source({ state: { kind: "missingSecret", reference: "header/X" } })).kind).toBe("details");
  });
  it("offers Connect to a source that never signed in", () => {
    expect(mainActionFor(needsSignIn())).toEqual({ kind: "connect", label: "Connect" });
  });
  it("offers Reconnect when the sign-in ran out, failed or lacks scope", () => {
    expect(mainActionFor(signInExpired()).kind, "a refused refresh is on record").toBe("reconnect");
    const failed = { kind: "failed", error: { kind: "SignInFailed", message: "timed out" }, at } as const;
    expect(mainActionFor(needsSignIn(), undefined, failed).kind, "this session's sign-in failed").toBe("reconnect");
    const more = source({ auth: "oauth", state: { kind: "needsMoreScope", tokens: tokens(), scopes: ["admin"] } });
    expect(mainActionFor(more).kind).toBe("reconnect");
    expect(mainActionFor(connected(), refused).kind, "Test was refused although status said connected").toBe(
      "reconnect",
    );
  });
  it("offers Disconnect while connected, and Test to a service account", () => {
    expect(mainActionFor(connected())).toEqual({ kind: "disconnect", label: "Disconnect" });
    const service = source({ auth: "clientCredentials", state: { kind: "connected", tokens: tokens() } });
    expect(mainActionFor(service).kind, "a service account needs no browser").toBe("test");
  });
  it("is busy while a sign-in or a disconnect runs", () => {
    expect(mainActionFor(needsSignIn(), undefined, { kind: "waiting", url: "u" })).toEqual({
      kind: "busy",
      label: "Waiting for the browser…",
    });
    expect(mainActionFor(connected(), undefined, { kind: "disconnecting" }).kind).toBe("busy");
  });
});

describe("tokensOf", () => {
  it("finds the token status in every state that holds tokens", () => {
    expect(tokensOf(connected())?.issuer).toBe("https://as.example");
    expect(tokensOf(source({ state: { kind: "expiring", tokens: tokens() } }))).toBeDefined();
    expect(tokensOf(needsSignIn())).toBeUndefined();
  });
});

describe("todoFor", () => {
  it("names the button when a sign-in is the fix, the shell's hint otherwise", () => {
    expect(todoFor(needsSignIn()), "the engine's words for the button offered").toBe("click Connect to sign in with your browser");
    expect(todoFor(signInExpired())).toBe("click Reconnect to sign in with your browser");
    expect(todoFor(disabled()), "the shell's hint, in the window's words").toBe("click Enable");
    const hint = "click Reconnect to sign in again and grant mcp:admin";
    const more = source({ auth: "oauth", hint, state: { kind: "needsMoreScope", tokens: tokens(), scopes: ["mcp:admin"] } });
    expect(todoFor(more), "the scope the server asked for is named, in the shell's words").toBe(hint);
    expect(todoFor(connected()), "nothing to do while connected").toBeNull();
    expect(todoFor(needsSignIn(), undefined, { kind: "waiting", url: "u" }), "nothing new while waiting").toBeNull();
  });
  it("the button is the window's choice, its words the engine's", () => {
    const words = { connect: "the engine's words for Connect", reconnect: "the engine's words for Reconnect" };
    const refused = { kind: "failed" as const, error: { kind: "NeedsSignIn" as const, message: "m" }, at: new Date() };
    expect(todoFor(connected({}, { signInHints: words }), refused), "a Test the server refused").toBe(words.reconnect);
    expect(todoFor(needsSignIn({ signInHints: words }))).toBe(words.connect);
  });
});
