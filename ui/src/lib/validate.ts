// The add and edit form's model: the draft the person types, its checks (shown inline, field by
// field), the draft made from a saved source's settings, and the wire value sent to the shell. The engine checks again when it saves; these checks are
// there so mistakes show while typing, not after a round trip.
import type { NamedValue, NewSource, SettingRow, SourceSettings, TransportView } from "../api";

export interface Row {
  name: string;
  value: string;
  secret: boolean;
  /** A secret the keychain holds already (editing): left blank, it is kept. */
  stored?: boolean;
}

/** How an HTTP or SSE source proves who it is: nothing or headers, a browser sign-in, or a
 *  service account (client credentials). */
export type SignIn = "none" | "oauth" | "clientCredentials";

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
  } else if (a.kind === "clientCredentials") {
    draft.signIn = "clientCredentials";
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
    if (draft.signIn !== "none" && !scopeList(draft.scopes).every((scope) => SCOPE.test(scope))) {
      errors.scopes = "Separate scopes with spaces; a scope has no quotes or backslashes.";
    }
    if (draft.signIn === "clientCredentials") {
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
        oauth: null,
        clientCredentials: null,
      };
    case "http":
    case "sse":
      return {
        id,
        name,
        transport: { kind: draft.transport, url: draft.url.trim(), headers: values },
        oauth: draft.signIn === "oauth" ? { scopes: scopeList(draft.scopes) } : null,
        clientCredentials:
          draft.signIn === "clientCredentials"
            ? {
                clientId: draft.clientId.trim(),
                clientSecret: draft.clientSecret,
                scopes: scopeList(draft.scopes),
                serviceTokenHeader: draft.serviceTokenHeader.trim(),
                serviceToken: draft.serviceTokenHeader.trim() === "" ? "" : draft.serviceToken,
              }
            : null,
      };
  }
}
