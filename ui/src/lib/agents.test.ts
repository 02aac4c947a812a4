import { describe, expect, it } from "vitest";
import type { AgentRow } from "../api";
import { allows, draftErrors, draftOf, midnightBefore, newDraft, pickedOf, rightsLines, rightsOf, splitNames, useLine, type ToolList } from "./agents";

function agent(over: Partial<AgentRow> = {}): AgentRow {
  return {
    name: "cursor",
    builtIn: false,
    rights: { sources: ["tracker", "docs"], tools: [{ source: "tracker", include: ["search", "get"], exclude: [] }], resources: true, prompts: false },
    use: { lastMs: null, calls: 0, errors: 0 },
    ...over,
  };
}

describe("agents logic", () => {
  it("a tool rule works like the engine's: empty include is all, exclude wins", () => {
    expect(allows(undefined, "x")).toBe(true);
    expect(allows({ source: "s", include: ["a"], exclude: [] }, "b")).toBe(false);
    expect(allows({ source: "s", include: [], exclude: ["a"] }, "a")).toBe(false);
    expect(allows({ source: "s", include: ["a"], exclude: ["a"] }, "a")).toBe(false);
  });

  it("an edit sends back what it did not touch unchanged", () => {
    const row = agent();
    expect(rightsOf(draftOf(row), new Map(), ["tracker", "docs"])).toEqual(row.rights);
  });

  it("opened tool lists become include lists; every tool ticked is no rule", () => {
    const draft = draftOf(agent());
    const lists = new Map<string, ToolList>([
      ["tracker", { kind: "ready", tools: ["search", "get", "close"] }],
      ["docs", { kind: "ready", tools: ["read"] }],
    ]);
    draft.picked.tracker = pickedOf(draft, "tracker", ["search", "get", "close"]);
    expect(draft.picked.tracker, "ticked as the rule allows").toEqual(["search", "get"]);
    draft.picked.tracker = ["search"];
    draft.picked.docs = pickedOf(draft, "docs", ["read"]);
    const known = ["tracker", "docs"];
    expect(rightsOf(draft, lists, known).tools).toEqual([{ source: "tracker", include: ["search"], exclude: [] }]);
    draft.sources = ["docs"];
    expect(rightsOf(draft, lists, known).tools, "an unticked source keeps no rule").toEqual([]);
  });

  it("a source removed from the profile file since is dropped, with its rule", () => {
    const rights = rightsOf(draftOf(agent()), new Map(), ["docs"]);
    expect(rights.sources).toEqual(["docs"]);
    expect(rights.tools).toEqual([]);
  });

  it("a draft with no name, a taken name, no source or no tool is refused, by field", () => {
    const draft = newDraft();
    expect(draftErrors(draft, ["default"])).toMatchObject({ name: expect.stringContaining("name"), sources: expect.any(String) });
    draft.name = "Bad Name";
    expect(draftErrors(draft, []).name).toContain("lowercase");
    draft.name = "default";
    expect(draftErrors(draft, ["default"]).name).toContain("built-in");
    draft.name = "ci";
    draft.sources = ["tracker"];
    expect(draftErrors(draft, ["ci"]).name).toContain("already");
    expect(draftErrors(draft, [])).toEqual({});
    draft.picked.tracker = [];
    expect(draftErrors(draft, []).tools).toContain("tracker");
  });

  it("rights and use read in words", () => {
    expect(rightsLines(agent().rights)).toEqual(["Sources: tracker, docs", "Tools of tracker: search, get", "No prompts"]);
    expect(rightsLines({ sources: null, tools: [], resources: true, prompts: true })).toEqual(["Every source"]);
    const now = 1_800_000_000_000;
    expect(useLine({ lastMs: null, calls: 0, errors: 0 }, now)).toBe("Never used · 0 calls today · 0 errors");
    expect(useLine({ lastMs: now - 5 * 60_000, calls: 1, errors: 1 }, now)).toBe("Last used 5 min ago · 1 call today · 1 error");
    expect(useLine({ lastMs: now - 3 * 3_600_000, calls: 2, errors: 0 }, now)).toContain("3 h ago");
  });

  it("today starts at local midnight; a split skips names taken and names that are not agent names", () => {
    const midnight = midnightBefore(new Date(2026, 11, 6, 15, 30));
    expect(new Date(midnight).getHours()).toBe(0);
    expect(new Date(midnight).getDate()).toBe(6);
    expect(splitNames(["cursor", "codex", "Bad"], [agent()])).toEqual(["codex"]);
  });
});
