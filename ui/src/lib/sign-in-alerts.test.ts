import { describe, expect, it } from "vitest";
import { connected, needsSignIn, source } from "./fixtures";
import { newlyNeedingSignIn } from "./sign-in-alerts";

describe("sign-in alerts", () => {
  it("fire once, as a signed-in source turns to needing a sign-in", () => {
    const before = [connected()];
    const after = [needsSignIn()];
    expect(newlyNeedingSignIn(before, after)).toEqual(["GitHub"]);
    expect(newlyNeedingSignIn(after, after), "not again while it stays so").toEqual([]);
  });

  it("not at the first read, nor for a source that never signed in", () => {
    expect(newlyNeedingSignIn(null, [needsSignIn()])).toEqual([]);
    expect(newlyNeedingSignIn([needsSignIn()], [needsSignIn()])).toEqual([]);
    expect(newlyNeedingSignIn([source()], [source()])).toEqual([]);
  });

  it("not for a change this window made (Disconnect)", () => {
    expect(newlyNeedingSignIn([connected()], [needsSignIn()], new Set(["github"]))).toEqual([]);
  });
});
