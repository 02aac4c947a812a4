import { describe, expect, it } from "vitest";
import { emptyDraft, isValid, toNewSource, validate, type Draft } from "./validate";

const stdio = (over: Partial<Draft> = {}): Draft => ({ ...emptyDraft(), id: "everything", command: "node", ...over });
const http = (over: Partial<Draft> = {}): Draft => ({
  ...emptyDraft(),
  id: "remote",
  transport: "http",
  url: "https://mcp.example.com/mcp",
  ...over,
});

describe("validate", () => {
  it("accepts a plain stdio and a plain http source", () => {
    expect(validate(stdio())).toEqual({});
    expect(validate(http())).toEqual({});
  });
  it("asks for an id and rejects one the engine would refuse", () => {
    expect(validate(stdio({ id: "" })).id).toMatch(/id/);
    expect(validate(stdio({ id: "Has Spaces" })).id).toMatch(/lowercase/);
    expect(validate(stdio({ id: "a".repeat(41) })).id).toBeDefined();
  });
  it("reports a missing command for stdio", () => {
    expect(validate(stdio({ command: "  " })).command).toMatch(/program/);
  });
  it("reports a bad URL for http and sse", () => {
    expect(validate(http({ url: "" })).url).toMatch(/URL/);
    expect(validate(http({ url: "not a url" })).url).toMatch(/Not a URL/);
    expect(validate(http({ transport: "sse", url: "ftp://x.example/" })).url).toMatch(/http/);
    expect(validate(http({ url: "${BASE_URL}/mcp" })).url).toBeUndefined();
  });
  it("checks header rows: names, duplicates, empty secrets", () => {
    const errors = validate(
      http({
        rows: [
          { name: "X-Api-Key", value: "", secret: true },
          { name: "bad header", value: "v", secret: false },
          { name: "x-api-key", value: "v", secret: false },
        ],
      }),
    );
    expect(errors["row.0.value"]).toMatch(/secret/);
    expect(errors["row.1.name"]).toMatch(/header/);
    expect(errors["row.2.name"]).toMatch(/twice/);
    expect(isValid(errors)).toBe(false);
  });
});

describe("toNewSource", () => {
  it("splits arguments by line and keeps env rows, secret flag included", () => {
    const wire = toNewSource(stdio({ args: "server.js\n\n --flag value \n", rows: [{ name: "K", value: "v", secret: true }] }));
    expect(wire).toEqual({
      id: "everything",
      name: null,
      transport: { kind: "stdio", command: "node", args: ["server.js", "--flag value"], env: [{ name: "K", value: "v", secret: true }] },
      oauth: null,
    });
  });
  it("sends headers for http and sse", () => {
    const wire = toNewSource(http({ transport: "sse", name: " Remote ", rows: [{ name: "X-Team", value: "core", secret: false }] }));
    expect(wire).toEqual({
      id: "remote",
      name: "Remote",
      transport: { kind: "sse", url: "https://mcp.example.com/mcp", headers: [{ name: "X-Team", value: "core", secret: false }] },
      oauth: null,
    });
  });
  it("asks for a browser sign-in with the scopes typed, or the server's when none", () => {
    expect(toNewSource(http({ signIn: "oauth", scopes: " mcp:read  mcp:write " })).oauth).toEqual({
      scopes: ["mcp:read", "mcp:write"],
    });
    expect(toNewSource(http({ signIn: "oauth" })).oauth, "empty means the server's suggestion").toEqual({ scopes: [] });
    expect(toNewSource(stdio({ signIn: "oauth" })).oauth, "a local program never signs in").toBeNull();
  });
});

describe("validate, sign-in", () => {
  it("accepts scope tokens and refuses quotes", () => {
    expect(validate(http({ signIn: "oauth", scopes: "mcp:read openid" }))).toEqual({});
    expect(validate(http({ signIn: "oauth", scopes: 'mcp:"read"' })).scopes).toMatch(/quotes/);
    expect(validate(http({ signIn: "none", scopes: 'mcp:"read"' })).scopes, "ignored without sign-in").toBeUndefined();
  });
});
