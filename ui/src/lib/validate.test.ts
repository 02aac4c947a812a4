import { describe, expect, it } from "vitest";
import { draftFrom, emptyDraft, errorsOf, isValid, ownErrors, toNewSource, type Draft } from "./validate";

const stdio = (over: Partial<Draft> = {}): Draft => ({ ...emptyDraft(), id: "everything", command: "node", ...over });
const http = (over: Partial<Draft> = {}): Draft => ({
  ...emptyDraft(),
  id: "remote",
  transport: "http",
  url: "https://mcp.example.com/mcp",
  ...over,
});

describe("errorsOf: the engine's problems under their fields", () => {
  it("none for a form the engine takes", () => {
    expect(errorsOf(stdio(), [])).toEqual({});
    expect(isValid(errorsOf(http(), []))).toBe(true);
  });
  it("each problem under its field, rows by their place, the first for a field", () => {
    const errors = errorsOf(http(), [
      { field: { kind: "id" }, message: "id words" },
      { field: { kind: "url" }, message: "url words" },
      { field: { kind: "url" }, message: "a second for the URL" },
      { field: { kind: "rowName", index: 1 }, message: "name words" },
      { field: { kind: "rowValue", index: 0 }, message: "value words" },
      { field: { kind: "oauthClientId" }, message: "client words" },
    ]);
    expect(errors).toEqual({
      id: "id words",
      url: "url words",
      "row.1.name": "name words",
      "row.0.value": "value words",
      oauthClientId: "client words",
    });
    expect(isValid(errors)).toBe(false);
  });
  it("an extra parameter's problem at its line of the box, blank lines counted", () => {
    const draft = http({ signIn: "oauth", authParams: "prompt=consent\n\nstate=x" });
    expect(toNewSource(draft).auth).toMatchObject({ extraParams: [{ name: "prompt" }, { name: "state" }] });
    const errors = errorsOf(draft, [{ field: { kind: "authParam", index: 1 }, message: "the engine's words" }]);
    expect(errors.authParams).toBe("Line 3: the engine's words");
  });
});

describe("ownErrors: the parameters box's own syntax", () => {
  it("each non-blank line is name=value; a value may hold =", () => {
    const params = (authParams: string) => ownErrors(http({ signIn: "oauth", authParams })).authParams;
    expect(params("login_hint=alice@example.com\n\nprompt=consent")).toBeUndefined();
    expect(params("acr_values=a=b")).toBeUndefined();
    expect(params("ok=1\nprompt")).toMatch(/^Line 2: write name=value/);
    expect(ownErrors(http({ signIn: "none", authParams: "prompt" })), "only for a browser sign-in").toEqual({});
    expect(errorsOf(http({ signIn: "oauth", authParams: "prompt" }), []).authParams, "shown with the engine's").toMatch(/Line 1/);
  });
  it("a line without = is not sent", () => {
    expect(toNewSource(http({ signIn: "oauth", authParams: "prompt\nlogin_hint=a" })).auth).toMatchObject({
      extraParams: [{ name: "login_hint", value: "a" }],
    });
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
      redirectPort: "",
      extraParams: [],
    });
    expect(toNewSource(http({ signIn: "oauth" })).auth, "empty means the server's suggestion").toMatchObject({ scopes: [] });
    expect(toNewSource(stdio({ signIn: "oauth" })).auth, "a local program never signs in").toEqual({ kind: "none" });
  });
});

describe("sign-in", () => {
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
      redirectPort: " 8765 ",
      extraParams: [
        { name: " login_hint ", value: " alice@example.com" },
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
    expect(toNewSource(draft).auth).toEqual({
      kind: "oauth",
      scopes: ["mcp:read"],
      clientId: "lanyard-desktop",
      redirectPort: "8765",
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
