import { describe, expect, it } from "vitest";
import { activityLine, isFailure } from "./activity";

describe("activity lines", () => {
  it("say each event in words, failures with the engine's message", () => {
    expect(activityLine({ at: 1, event: { kind: "signedIn" } })).toBe("Signed in");
    const failed = { at: 1, event: { kind: "refreshFailed" as const, error: "server down" } };
    expect(activityLine(failed)).toBe("Renewing the tokens failed: server down");
    expect(isFailure(failed)).toBe(true);
    expect(activityLine({ at: 1, event: { kind: "disconnected", revoked: true } })).toMatch(/revoked/);
    expect(activityLine({ at: 1, event: { kind: "bridgeSession", overHttp: false } })).toMatch(/stdio/);
    expect(isFailure({ at: 1, event: { kind: "connected" } })).toBe(false);
    const call = { at: 1, event: { kind: "call" as const, agent: "ci", name: "echo", outcome: "ok" } };
    expect(activityLine(call)).toBe("Agent ci called echo: ok");
    expect(isFailure(call)).toBe(false);
    expect(isFailure({ at: 1, event: { ...call.event, outcome: "refused" } }), "a call that did not end ok").toBe(true);
  });
});
