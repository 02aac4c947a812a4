import { describe, expect, it } from "vitest";
import { registrationLabel, secretLabel } from "./client";

describe("client registration words", () => {
  it("names each kind of registration", () => {
    const of = (registration: "preRegistered" | "metadataDocument" | "dynamic") =>
      registrationLabel({ registration, clientId: "c", clientSecretSet: false });
    expect(of("preRegistered")).toBe("pre-registered");
    expect(of("metadataDocument")).toBe("Client ID Metadata Document");
    expect(of("dynamic")).toBe("dynamic registration (RFC 7591)");
  });
  it("says whether a secret is set, never what it is", () => {
    expect(secretLabel({ registration: "preRegistered", clientId: "c", clientSecretSet: true })).toBe("client secret set");
    expect(secretLabel({ registration: "dynamic", clientId: "c", clientSecretSet: false })).toContain("public");
  });
});
