import { describe, expect, it } from "vitest";
import { disconnected } from "./disconnected";

describe("disconnected", () => {
  it("says whether the server revoked the tokens", () => {
    expect(disconnected({ kind: "revoked" })).toMatch(/revoked at the server/);
    expect(disconnected({ kind: "forgotten" })).toMatch(/no revocation/);
    expect(disconnected({ kind: "nothingStored" })).toMatch(/no tokens/);
  });
  it("passes on why a revocation was not confirmed", () => {
    expect(disconnected({ kind: "revocationFailed", reason: "HTTP 503" })).toContain("HTTP 503");
  });
});
