// The add and edit form's model: the draft the person types, its checks (shown inline, field by
// field), the draft made from a saved source's settings, and the wire value sent to the shell. The engine checks again when it saves; these checks are
// there so mistakes show while typing, not after a round trip.
import type { NamedValue, NewAuth, NewSource, SettingRow, SourceSettings, TransportView } from "../api";
// Values, not only types: the engine's list, written by the shell's tests.
import { RESERVED_AUTH_PARAMS } from "../api/generated/ReservedAuthParams";

export interface Row {
  name: string;
  value: string;
  secret: boolean;
  /** A secret the keychain holds already (editing): left blank, it is kept. */
  stored?: boolean;
}

/** How an HTTP or SSE source proves who it is: nothing or headers, a browser sign-in, a
 *  service account (client credentials), or the agent's own credentials passed through. */
export type SignIn = "none" | "oauth" | "clientCredentials" | "passthrough";

export interface Draft {
  id: string;
  name: string;
  transport: TransportView;
  signIn: SignIn;
  /** Scopes to request instead of the server's suggestion, space-separated; usually empty. */
  scopes: string;
  command: string;
  /** One argument per line, so spaces inside an argument need no quoting. */
  args: string;
  url: string;
  /** Editing: the saved URL has a query, fragment or password the window is not shown; it is
   *  kept while the URL stays as shown. */
  urlHidden: boolean;
  /** The stdio program's working folder; blank for Lanyard's own. */
  cwd: string;
  rows: Row[];
  /** OAuth: a pre-registered client id; blank for dynamic registration. */
  oauthClientId: string;
  /** OAuth: a fixed loopback redirect port; blank for any free one. */
  redirectPort: string;
  /** OAuth: extra authorization parameters, one `name=value` per line. */
  authParams: string;
  /** Client credentials: the token endpoint; blank to discover it. */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  clientSecretStored: boolean;
  /** The header an extra service token goes in; blank for none. */
  serviceTokenHeader: string;
  serviceToken: string;
  serviceTokenStored: boolean;
}

export type Field =
  | "id"
  | "command"
  | "url"
  | "scopes"
  | "oauthClientId"
  | "redirectPort"
  | "authParams"
  | "tokenUrl"
  | "clientId"
  | "clientSecret"
  | "serviceTokenHeader"
  | "serviceToken"
  | `row.${number}.name`
  | `row.${number}.value`;
export type Errors = Partial<Record<Field, string>>;

export function emptyDraft(): Draft {
  return {
    id: "",
    name: "",
    transport: "stdio",
    signIn: "none",
    scopes: "",
    command: "",
    args: "",
    url: "",
    urlHidden: false,
    cwd: "",
    rows: [],
    oauthClientId: "",
    redirectPort: "",
    authParams: "",
    tokenUrl: "",
    clientId: "",
    clientSecret: "",
    clientSecretStored: false,
    serviceTokenHeader: "",
    serviceToken: "",
    serviceTokenStored: false,
  };
}

/** The edit form's draft: a saved source's settings, secrets blank (kept unless typed over). */
export function draftFrom(settings: SourceSettings): Draft {
  const draft = emptyDraft();
  draft.id = settings.id;
  draft.name = settings.name ?? "";
  const rows = (list: SettingRow[]): Row[] =>
    list.map((r) => ({ name: r.name, value: r.value ?? "", secret: r.secret, stored: r.secret && r.set }));
  const t = settings.transport;
  draft.transport = t.kind;
  if (t.kind === "stdio") {
    draft.command = t.command;
    draft.args = t.args.join("\n");
    draft.cwd = t.cwd ?? "";
    draft.rows = rows(t.env);
  } else {
    draft.url = t.url;
    draft.urlHidden = t.urlHiddenPart;
    draft.rows = rows(t.headers);
  }
  const a = settings.auth;
  if (a.kind === "oauth") {
    draft.signIn = "oauth";
    draft.scopes = a.scopes.join(" ");
    draft.oauthClientId = a.clientId ?? "";
    draft.redirectPort = a.redirectPort === null ? "" : String(a.redirectPort);
    draft.authParams = a.extraParams.map((p) => `${p.name}=${p.value}`).join("\n");
  } else if (a.kind === "passthrough") {
    draft.signIn = "passthrough";
  } else if (a.kind === "clientCredentials") {
    draft.signIn = "clientCredentials";
    draft.tokenUrl = a.tokenUrl ?? "";
    draft.clientId = a.clientId;
    draft.clientSecretStored = a.clientSecretSet;
    draft.scopes = a.scopes.join(" ");
    draft.serviceTokenHeader = a.serviceTokenHeader ?? "";
    draft.serviceTokenStored = a.serviceTokenSet;
  }
  return draft;
}

const ID = /^[a-z0-9][a-z0-9_-]{0,39}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const ENV_NAME = /^[^=\0]+$/;
/** RFC 6749 scope tokens: printable ASCII without space, `"` or `\`. */
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
/** RFC 6749 parameter names (Appendix A: letters, digits, `-`, `.`, `_`). */
const PARAM_NAME = /^[A-Za-z0-9._-]+$/;
export function validate(draft: Draft): Errors {
  const errors: Errors = {};
  const id = draft.id.trim();
  if (id === "") errors.id = "Give the source an id, e.g. github.";
  else if (!ID.test(id))
    errors.id = "Use 1 to 40 lowercase letters, digits, - or _, starting with a letter or digit.";

  if (draft.transport === "stdio") {
    if (draft.command.trim() === "") errors.command = "Give the program to start, e.g. npx or a full path.";
  } else {
    const url = draft.url.trim();
    if (url === "") errors.url = "Give the server's URL, e.g. https://mcp.example.com/mcp.";
    else if (!url.includes("${")) {
      const problem = urlProblem(url);
      if (problem) errors.url = problem;
    }
    const scoped = draft.signIn === "oauth" || draft.signIn === "clientCredentials";
    if (scoped && !scopeList(draft.scopes).every((scope) => SCOPE.test(scope))) {
      errors.scopes = "Separate scopes with spaces; a scope has no quotes or backslashes.";
    }
    if (draft.signIn === "oauth") {
      if (/\s/.test(draft.oauthClientId.trim())) errors.oauthClientId = "A client id has no spaces.";
      const port = draft.redirectPort.trim();
      if (port !== "" && portOf(port) === undefined)
        errors.redirectPort = "Use a port from 1 to 65535, or leave it blank for any free port.";
      const problem = paramsProblem(draft.authParams);
      if (problem) errors.authParams = problem;
    }
    if (draft.signIn === "clientCredentials") {
      const tokenUrl = draft.tokenUrl.trim();
      if (tokenUrl !== "" && !tokenUrl.includes("${")) {
        const problem = urlProblem(tokenUrl) ?? clearTextProblem(tokenUrl);
        if (problem) errors.tokenUrl = problem;
      }
      if (draft.clientId.trim() === "") errors.clientId = "Give the service account's client id.";
      if (draft.clientSecret === "" && !draft.clientSecretStored) errors.clientSecret = "Type the client secret.";
      const header = draft.serviceTokenHeader.trim();
      if (header !== "" && !HEADER_NAME.test(header)) errors.serviceTokenHeader = "Not a valid HTTP header name.";
      if (header !== "" && draft.serviceToken === "" && !draft.serviceTokenStored)
        errors.serviceToken = "Type the service token, or clear the header name.";
    }
  }

  const seen = new Set<string>();
  draft.rows.forEach((row, i) => {
    const name = row.name.trim();
    const valid = draft.transport === "stdio" ? ENV_NAME.test(name) : HEADER_NAME.test(name);
    if (name === "") errors[`row.${i}.name`] = "Give a name, or remove the row.";
    else if (!valid)
      errors[`row.${i}.name`] =
        draft.transport === "stdio" ? "Not a valid variable name." : "Not a valid HTTP header name.";
    else if (seen.has(name.toLowerCase())) errors[`row.${i}.name`] = "Given twice.";
    seen.add(name.toLowerCase());
    if (row.secret && row.value === "" && !row.stored)
      errors[`row.${i}.value`] = "Type the secret, or remove the row.";
  });
  return errors;
}

function urlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "Not a URL; it should look like https://mcp.example.com/mcp.";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "Use an http:// or https:// URL.";
  if (url.hostname === "") return "The URL has no host.";
  return undefined;
}

/** A port number from 1 to 65535, or `undefined`. */
function portOf(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** The first problem with the `name=value` lines of extra authorization parameters. */
function paramsProblem(text: string): string | undefined {
  const seen = new Set<string>();
  for (const [i, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    const at = `Line ${i + 1}`;
    const eq = line.indexOf("=");
    if (eq < 0) return `${at}: write name=value, e.g. login_hint=alice@example.com.`;
    const name = line.slice(0, eq).trim();
    if (!PARAM_NAME.test(name)) return `${at}: a parameter name is letters, digits, -, . or _.`;
    if (RESERVED_AUTH_PARAMS.includes(name)) return `${at}: Lanyard sets ${name} itself; remove the line.`;
    if (seen.has(name)) return `${at}: ${name} is given twice.`;
    seen.add(name);
  }
  return undefined;
}

/** The extra authorization parameters of a draft that validates. */
function paramList(text: string): { name: string; value: string }[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const eq = line.indexOf("=");
      return { name: line.slice(0, eq).trim(), value: line.slice(eq + 1) };
    });
}

/** A token URL must not send the client secret over plain http, except to this machine. */
function clearTextProblem(text: string): string | undefined {
  const url = new URL(text);
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  return url.protocol === "http:" && !loopback ? "Use https:// (plain http:// only to this machine)." : undefined;
}

function scopeList(text: string): string[] {
  return text.split(/\s+/).filter((scope) => scope !== "");
}

export function isValid(errors: Errors): boolean {
  return Object.keys(errors).length === 0;
}

/** The wire value for `add_source` and `edit_source`. Call only with a draft that validates. */
export function toNewSource(draft: Draft): NewSource {
  const values: NamedValue[] = draft.rows.map((r) => ({ name: r.name.trim(), value: r.value, secret: r.secret }));
  const name = draft.name.trim() === "" ? null : draft.name.trim();
  const id = draft.id.trim();
  switch (draft.transport) {
    case "stdio":
      return {
        id,
        name,
        transport: {
          kind: "stdio",
          command: draft.command.trim(),
          args: draft.args.split("\n").map((a) => a.trim()).filter((a) => a !== ""),
          env: values,
          cwd: draft.cwd.trim() === "" ? null : draft.cwd.trim(),
        },
        auth: { kind: "none" },
      };
    case "http":
    case "sse":
      return {
        id,
        name,
        transport: { kind: draft.transport, url: draft.url.trim(), headers: values },
        auth: authOf(draft),
      };
  }
}

/** The sign-in part of the wire value, for a remote server. */
function authOf(draft: Draft): NewAuth {
  switch (draft.signIn) {
    case "none":
    case "passthrough":
      return { kind: draft.signIn };
    case "oauth":
      return {
        kind: "oauth",
        scopes: scopeList(draft.scopes),
        clientId: draft.oauthClientId.trim(),
        redirectPort: draft.redirectPort.trim() === "" ? null : (portOf(draft.redirectPort.trim()) ?? null),
        extraParams: paramList(draft.authParams),
      };
    case "clientCredentials":
      return {
        kind: "clientCredentials",
        tokenUrl: draft.tokenUrl.trim(),
        clientId: draft.clientId.trim(),
        clientSecret: draft.clientSecret,
        scopes: scopeList(draft.scopes),
        serviceTokenHeader: draft.serviceTokenHeader.trim(),
        serviceToken: draft.serviceTokenHeader.trim() === "" ? "" : draft.serviceToken,
      };
  }
}
