import { describe, expect, it } from "vitest";
import { aliasErrors, draftsFrom, exposedName, toChoices, type ToolDraft } from "./tool-filters";

const draft = (name: string, over: Partial<ToolDraft> = {}): ToolDraft => ({
  name,
  upstreamDescription: null,
  exposed: true,
  alias: "",
  description: "",
  ...over,
});

describe("tool filter drafts", () => {
  it("come from the shell's choices with blanks for unset texts", () => {
    const [d] = draftsFrom([{ name: "echo", upstreamDescription: "Echoes", exposed: false, alias: null, description: "x" }]);
    expect(d).toEqual({ name: "echo", upstreamDescription: "Echoes", exposed: false, alias: "", description: "x" });
    expect(exposedName(d!)).toBe("echo");
  });

  it("accept names clients accept and refuse the rest", () => {
    expect(aliasErrors([draft("echo", { alias: "say_it-2" })])).toEqual({});
    expect(aliasErrors([draft("echo", { alias: "say it" })]).echo).toMatch(/letters, digits/);
    expect(aliasErrors([draft("echo", { alias: "x".repeat(65) })]).echo, "over 64 characters").toBeDefined();
  });

  it("refuse an alias used twice, hidden tools included, as the engine does", () => {
    const errors = aliasErrors([draft("echo", { alias: "say" }), draft("shout", { alias: "say", exposed: false })]);
    expect(Object.keys(errors).sort()).toEqual(["echo", "shout"]);
  });

  it("refuse an alias that is another shown tool's name, but not a hidden one's", () => {
    expect(aliasErrors([draft("echo", { alias: "add" }), draft("add")]).echo).toMatch(/already the name/);
    expect(aliasErrors([draft("echo", { alias: "add" }), draft("add", { exposed: false })])).toEqual({});
  });

  it("go to the shell trimmed, blanks as null", () => {
    expect(toChoices([draft("echo", { alias: " say ", description: "  " })])).toEqual([
      { name: "echo", exposed: true, alias: "say", description: null },
    ]);
  });
});
