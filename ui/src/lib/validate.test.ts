import { describe, expect, it } from "vitest";
import { draftFrom, emptyDraft, isValid, toNewSource, validate, type Draft } from "./validate";

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
      transport: {
        kind: "stdio",
        command: "node",
        args: ["server.js", "--flag value"],
        env: [{ name: "K", value: "v", secret: true }],
        cwd: null,
      },
      oauth: null,
      clientCredentials: null,
    });
  });
  it("sends headers for http and sse", () => {
    const wire = toNewSource(http({ transport: "sse", name: " Remote ", rows: [{ name: "X-Team", value: "core", secret: false }] }));
    expect(wire).toEqual({
      id: "remote",
      name: "Remote",
      transport: { kind: "sse", url: "https://mcp.example.com/mcp", headers: [{ name: "X-Team", value: "core", secret: false }] },
      oauth: null,
      clientCredentials: null,
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

describe("client credentials", () => {
  const cc = (over: Partial<Draft> = {}) =>
    http({ signIn: "clientCredentials", clientId: "svc", clientSecret: "s", ...over });
  it("needs a client id and a secret, and a token when a header is named", () => {
    expect(validate(cc())).toEqual({});
    expect(validate(cc({ clientId: " " })).clientId).toMatch(/client id/);
    expect(validate(cc({ clientSecret: "" })).clientSecret).toMatch(/secret/);
    expect(validate(cc({ clientSecret: "", clientSecretStored: true })), "a stored secret may stay blank").toEqual({});
    expect(validate(cc({ serviceTokenHeader: "X-Service" })).serviceToken).toMatch(/service token/);
    expect(validate(cc({ serviceTokenHeader: "bad header" })).serviceTokenHeader).toMatch(/header/);
  });
  it("goes to the shell with its scopes; no header, no token", () => {
    expect(toNewSource(cc({ scopes: "a b", serviceToken: "left over" })).clientCredentials).toEqual({
      clientId: "svc",
      clientSecret: "s",
      scopes: ["a", "b"],
      serviceTokenHeader: "",
      serviceToken: "",
    });
    expect(toNewSource(cc()).oauth).toBeNull();
  });
});

describe("editing", () => {
  it("a draft from saved settings: stored secrets blank and marked, text values as they were", () => {
    const draft = draftFrom({
      id: "local",
      name: null,
      transport: {
        kind: "stdio",
        command: "node",
        args: ["a.js", "--x"],
        env: [
          { name: "API_KEY", value: null, secret: true, set: true },
          { name: "LEVEL", value: "info", secret: false, set: false },
        ],
        cwd: "/srv",
      },
      auth: { kind: "none" },
    });
    expect(draft.args).toBe("a.js\n--x");
    expect(draft.cwd).toBe("/srv");
    expect(draft.rows).toEqual([
      { name: "API_KEY", value: "", secret: true, stored: true },
      { name: "LEVEL", value: "info", secret: false, stored: false },
    ]);
    expect(validate(draft), "a stored secret left blank is kept, not an error").toEqual({});
    expect(toNewSource(draft).transport).toMatchObject({ cwd: "/srv", env: [{ name: "API_KEY", value: "", secret: true }, { name: "LEVEL", value: "info", secret: false }] });
  });
  it("a client credentials source comes back with its fields, secrets only as set", () => {
    const draft = draftFrom({
      id: "svc",
      name: "Service",
      transport: { kind: "http", url: "https://x.example/mcp", urlHiddenPart: true, headers: [] },
      auth: {
        kind: "clientCredentials",
        clientId: "svc-client",
        clientSecretSet: true,
        scopes: ["read"],
        serviceTokenHeader: "X-Service",
        serviceTokenSet: false,
      },
    });
    expect(draft).toMatchObject({ signIn: "clientCredentials", clientId: "svc-client", clientSecret: "", scopes: "read", urlHidden: true });
    expect(validate(draft).serviceToken, "a header whose token the keychain lacks").toMatch(/service token/);
  });
});
