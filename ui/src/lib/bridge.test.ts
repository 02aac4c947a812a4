import { describe, expect, it } from "vitest";
import { hubSummary, mergedUrl, servedSources, sourceUrl, writtenLines } from "./bridge";
import { disabled, source } from "./fixtures";

describe("hubSummary", () => {
  it("running is ok; before the first answer it is starting", () => {
    expect(hubSummary({ kind: "running", address: "127.0.0.1:7587" }).code).toBe("running");
    expect(hubSummary(null).code, "no answer yet").toBe("starting");
    expect(hubSummary({ kind: "starting" }).tone).toBe("muted");
  });
  it("a taken port says what to do, naming the port", () => {
    const taken = hubSummary({ kind: "failed", reason: { kind: "portTaken", port: 7587 }, message: "in use" });
    expect(taken.code).toBe("port-taken");
    expect(taken.advice).toContain("7587");
    expect(taken.advice).toContain("LANYARD_BRIDGE_PORT");
  });
  it("a keychain that cannot be used says to fix the keychain, not to unlock it", () => {
    const failed = hubSummary({ kind: "failed", reason: { kind: "keychain" }, message: "no Secret Service is reachable" });
    expect(failed.code).toBe("failed");
    expect(failed.advice).toContain("keychain");
    expect(failed.advice, "nothing is locked").not.toMatch(/unlock/i);
  });
  it("other failures are errors", () => {
    const failed = hubSummary({ kind: "failed", reason: { kind: "cannotStart" }, message: "keychain locked" });
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

describe("writtenLines", () => {
  it("names the file, what was added and replaced, and the backup", () => {
    const lines = writtenLines({ path: "/c/a.json", backup: "/c/a.json.lanyard-backup", changed: true, added: ["x"], replaced: ["y"], keyVar: null });
    expect(lines).toEqual([
      "Wrote /c/a.json.",
      "Added: x.",
      "Replaced: y.",
      "The previous file is kept as /c/a.json.lanyard-backup.",
    ]);
  });
  it("a new file has no backup", () => {
    expect(writtenLines({ path: "/c/a.json", backup: null, changed: true, added: ["x"], replaced: [], keyVar: null }).at(-1)).toMatch(/no backup/);
  });
  it("a file that had the entries already was not written", () => {
    expect(writtenLines({ path: "/c/a.json", backup: null, changed: false, added: [], replaced: ["x"], keyVar: null })).toEqual([
      "/c/a.json already has these entries; nothing changed.",
    ]);
  });
});
