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
      auth: { kind: "none" },
    });
  });
  it("sends headers for http and sse", () => {
    const wire = toNewSource(http({ transport: "sse", name: " Remote ", rows: [{ name: "X-Team", value: "core", secret: false }] }));
    expect(wire).toEqual({
      id: "remote",
      name: "Remote",
      transport: { kind: "sse", url: "https://mcp.example.com/mcp", headers: [{ name: "X-Team", value: "core", secret: false }] },
      auth: { kind: "none" },
    });
  });
  it("asks for a browser sign-in with the scopes typed, or the server's when none", () => {
    expect(toNewSource(http({ signIn: "oauth", scopes: " mcp:read  mcp:write " })).auth).toEqual({
      kind: "oauth",
      scopes: ["mcp:read", "mcp:write"],
      clientId: "",
      redirectPort: null,
      extraParams: [],
    });
    expect(toNewSource(http({ signIn: "oauth" })).auth, "empty means the server's suggestion").toMatchObject({ scopes: [] });
    expect(toNewSource(stdio({ signIn: "oauth" })).auth, "a local program never signs in").toEqual({ kind: "none" });
  });
});

describe("validate, sign-in", () => {
  it("accepts scope tokens and refuses quotes", () => {
    expect(validate(http({ signIn: "oauth", scopes: "mcp:read openid" }))).toEqual({});
    expect(validate(http({ signIn: "oauth", scopes: 'mcp:"read"' })).scopes).toMatch(/quotes/);
    expect(validate(http({ signIn: "none", scopes: 'mcp:"read"' })).scopes, "ignored without sign-in").toBeUndefined();
    expect(validate(http({ signIn: "passthrough", scopes: 'mcp:"read"' })).scopes, "passthrough has none").toBeUndefined();
  });
  it("a redirect port is 1 to 65535, or blank for any free one", () => {
    const port = (redirectPort: string) => validate(http({ signIn: "oauth", redirectPort })).redirectPort;
    expect(port("")).toBeUndefined();
    expect(port("8765")).toBeUndefined();
    expect(port("65535")).toBeUndefined();
    expect(port("0")).toMatch(/1 to 65535/);
    expect(port("65536")).toMatch(/1 to 65535/);
    expect(port("80a")).toMatch(/1 to 65535/);
    expect(port("-1")).toMatch(/1 to 65535/);
    expect(validate(http({ signIn: "none", redirectPort: "0" })).redirectPort, "only checked for OAuth").toBeUndefined();
  });
  it("extra parameters are name=value lines with RFC 6749 names, none Lanyard sets, none twice", () => {
    const params = (authParams: string) => validate(http({ signIn: "oauth", authParams })).authParams;
    expect(params("login_hint=alice@example.com\n\nprompt=consent")).toBeUndefined();
    expect(params("acr_values=a=b"), "a value may hold =").toBeUndefined();
    expect(params("prompt")).toMatch(/Line 1: write name=value/);
    expect(params("ok=1\nbad name=x")).toMatch(/Line 2: a parameter name/);
    expect(params("=x")).toMatch(/parameter name/);
    expect(params("state=x")).toMatch(/sets state itself/);
    expect(params("prompt=a\nprompt=b")).toMatch(/Line 2: prompt is given twice/);
  });
  it("a pre-registered client id has no spaces", () => {
    expect(validate(http({ signIn: "oauth", oauthClientId: " lanyard-desktop " }))).toEqual({});
    expect(validate(http({ signIn: "oauth", oauthClientId: "a b" })).oauthClientId).toMatch(/spaces/);
  });
  it("goes to the shell with the client id, the port and the parameters", () => {
    const draft = http({
      signIn: "oauth",
      oauthClientId: " lanyard-desktop ",
      redirectPort: " 8765 ",
      authParams: " login_hint = alice@example.com\nacr_values=a=b\n",
    });
    expect(toNewSource(draft).auth).toEqual({
      kind: "oauth",
      scopes: [],
      clientId: "lanyard-desktop",
      redirectPort: 8765,
      extraParams: [
        { name: "login_hint", value: " alice@example.com" },
        { name: "acr_values", value: "a=b" },
      ],
    });
  });
  it("token passthrough sends neither OAuth nor a service account", () => {
    const wire = toNewSource(http({ signIn: "passthrough" }));
    expect(wire.auth).toEqual({ kind: "passthrough" });
    expect(toNewSource(http({ signIn: "oauth" })).auth.kind).toBe("oauth");
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
  it("a token URL is blank (discovered) or an https URL, plain http only to this machine", () => {
    const tokenUrl = (url: string) => validate(cc({ tokenUrl: url })).tokenUrl;
    expect(tokenUrl("")).toBeUndefined();
    expect(tokenUrl("https://as.example/token")).toBeUndefined();
    expect(tokenUrl("http://127.0.0.1:9000/token")).toBeUndefined();
    expect(tokenUrl("http://as.example/token")).toMatch(/https/);
    expect(tokenUrl("as.example/token")).toMatch(/Not a URL/);
    expect(tokenUrl("${AS}/token"), "expanded when used").toBeUndefined();
  });
  it("goes to the shell with its scopes; no header, no token", () => {
    expect(toNewSource(cc({ scopes: "a b", serviceToken: "left over", tokenUrl: " https://as.example/token " })).auth).toEqual({
      kind: "clientCredentials",
      tokenUrl: "https://as.example/token",
      clientId: "svc",
      clientSecret: "s",
      scopes: ["a", "b"],
      serviceTokenHeader: "",
      serviceToken: "",
    });
    expect(toNewSource(cc()).auth.kind).toBe("clientCredentials");
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
        tokenUrl: "https://as.example/token",
        clientId: "svc-client",
        clientSecretSet: true,
        scopes: ["read"],
        serviceTokenHeader: "X-Service",
        serviceTokenSet: false,
      },
    });
    expect(draft).toMatchObject({
      signIn: "clientCredentials",
      clientId: "svc-client",
      clientSecret: "",
      scopes: "read",
      urlHidden: true,
      tokenUrl: "https://as.example/token",
    });
    expect(validate(draft).serviceToken, "a header whose token the keychain lacks").toMatch(/service token/);
  });
  it("an OAuth source comes back with its client id, port and parameters, and saves back unchanged", () => {
    const draft = draftFrom({
      id: "remote",
      name: null,
      transport: { kind: "http", url: "https://x.example/mcp", urlHiddenPart: false, headers: [] },
      auth: {
        kind: "oauth",
        scopes: ["mcp:read"],
        clientId: "lanyard-desktop",
        redirectPort: 8765,
        extraParams: [
          { name: "login_hint", value: "alice@example.com" },
          { name: "acr_values", value: "a=b" },
        ],
      },
    });
    expect(draft).toMatchObject({ signIn: "oauth", oauthClientId: "lanyard-desktop", redirectPort: "8765" });
    expect(validate(draft)).toEqual({});
    expect(toNewSource(draft).auth).toEqual({
      kind: "oauth",
      scopes: ["mcp:read"],
      clientId: "lanyard-desktop",
      redirectPort: 8765,
      extraParams: [
        { name: "login_hint", value: "alice@example.com" },
        { name: "acr_values", value: "a=b" },
      ],
    });
  });
  it("a passthrough source comes back as passthrough", () => {
    const draft = draftFrom({
      id: "p",
      name: null,
      transport: { kind: "http", url: "https://x.example/mcp", urlHiddenPart: false, headers: [] },
      auth: { kind: "passthrough" },
    });
    expect(draft.signIn).toBe("passthrough");
    expect(toNewSource(draft).auth).toEqual({ kind: "passthrough" });
  });
});
