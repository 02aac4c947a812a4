import { describe, expect, it } from "vitest";
import { hubSummary, mergedUrl, servedSources, sourceUrl } from "./bridge";
import { disabled, source } from "./fixtures";

describe("hubSummary", () => {
  it("running is ok; before the first answer it is starting", () => {
    expect(hubSummary({ kind: "running", address: "127.0.0.1:7587" }).code).toBe("running");
    expect(hubSummary(null).code, "no answer yet").toBe("starting");
    expect(hubSummary({ kind: "starting" }).tone).toBe("muted");
  });
  it("a taken port is a warning; every failure says what to do in the engine's words", () => {
    const taken = hubSummary({ kind: "failed", reason: { kind: "portTaken", port: 7587 }, message: "in use", advice: "Engine advice 7587." });
    expect(taken.code).toBe("port-taken");
    expect(taken.tone).toBe("warn");
    expect(taken.advice, "the window does not word it again").toBe("Engine advice 7587.");
    const failed = hubSummary({ kind: "failed", reason: { kind: "keychain" }, message: "no Secret Service is reachable", advice: "Keychain advice." });
    expect(failed.code).toBe("failed");
    expect(failed.advice).toBe("Keychain advice.");
  });
  it("other failures are errors", () => {
    const failed = hubSummary({ kind: "failed", reason: { kind: "cannotStart" }, message: "keychain locked", advice: "Restart." });
    expect(failed.tone).toBe("error");
  });
});

describe("addresses", () => {
  it("merged at /mcp, one source at /mcp/<id>", () => {
    expect(mergedUrl("127.0.0.1:7587")).toBe("http://127.0.0.1:7587/mcp");
    expect(sourceUrl("127.0.0.1:7587", "everything")).toBe("http://127.0.0.1:7587/mcp/everything");
  });
  it("only enabled sources are served", () => {
    expect(servedSources([source(), disabled()]).map((s) => s.enabled)).toEqual([true]);
    expect(servedSources(null)).toEqual([]);
  });
});
