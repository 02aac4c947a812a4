import { describe, expect, it } from "vitest";
import { healthOf } from "./health";
import { connected, disabled, needsSignIn, source } from "./fixtures";

const none = new Map();

describe("healthOf", () => {
  it("all good with ready or connected sources, or none", () => {
    expect(healthOf([], none, none)).toBe("allGood");
    expect(healthOf([source(), connected()], none, none)).toBe("allGood");
  });
  it("a source that needs sign-in makes the tray say so", () => {
    expect(healthOf([source(), needsSignIn()], none, none)).toBe("needsSignIn");
  });
  it("an error wins over a sign-in", () => {
    const failed = new Map([["everything", { kind: "failed", error: { kind: "Other", message: "x" }, at: new Date() } as const]]);
    expect(healthOf([needsSignIn(), source()], failed, none)).toBe("error");
    expect(healthOf([source({ state: { kind: "missingSecret", reference: "env:KEY" } })], none, none)).toBe("error");
  });
  it("disabled sources do not count", () => {
    expect(healthOf([disabled()], none, none)).toBe("allGood");
  });
});
