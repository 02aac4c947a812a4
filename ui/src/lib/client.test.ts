import { describe, expect, it } from "vitest";
import { secretLabel } from "./client";

describe("client registration words", () => {
  it("says whether a secret is set, never what it is", () => {
    expect(secretLabel({ registration: "preRegistered", registrationWords: "pre-registered", clientId: "c", clientSecretSet: true })).toBe("client secret set");
    expect(secretLabel({ registration: "dynamic", registrationWords: "dynamic", clientId: "c", clientSecretSet: false })).toContain("public");
  });
});
