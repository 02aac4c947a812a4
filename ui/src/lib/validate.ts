// The add and edit form's model: the draft the person types, the draft made from a saved
// source's settings, the wire value sent to the shell, and where the engine's problems with it
// show. The rules and their words are the engine's (`check_source`, asked as the person types):
// the window only places each problem under its field, and checks the one syntax that is its own,
// the `name=value` lines of the extra sign-in parameters' text box.
import type { FieldProblem, NamedValue, NewAuth, NewSource, SettingRow, SourceSettings, TransportView } from "../api";

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

/** The window's own check: each non-blank line of the extra parameters' box is `name=value`. */
export function ownErrors(draft: Draft): Errors {
  if (draft.transport === "stdio" || draft.signIn !== "oauth") return {};
  const line = paramLines(draft.authParams).find((p) => p.value === undefined);
  return line ? { authParams: `Line ${line.line}: write name=value, e.g. login_hint=alice@example.com.` } : {};
}

/** The engine's problems under their fields (the first for each), after the window's own. */
export function errorsOf(draft: Draft, problems: FieldProblem[]): Errors {
  const errors: Errors = ownErrors(draft);
  const sent = paramLines(draft.authParams).filter((p) => p.value !== undefined);
  for (const { field, message } of problems) {
    const [key, text]: [Field, string] =
      field.kind === "rowName"
        ? [`row.${field.index}.name`, message]
        : field.kind === "rowValue"
          ? [`row.${field.index}.value`, message]
          : field.kind === "authParam"
            ? ["authParams", `Line ${sent[field.index]?.line ?? "?"}: ${message}`]
            : [field.kind, message];
    errors[key] ??= text;
  }
  return errors;
}

/** The non-blank lines of the extra parameters' box, numbered from 1; `value` is undefined on a
 *  line without `=`. */
function paramLines(text: string): { line: number; name: string; value?: string }[] {
  return text.split("\n").flatMap((line, i) => {
    if (line.trim() === "") return [];
    const eq = line.indexOf("=");
    return eq < 0 ? [{ line: i + 1, name: line }] : [{ line: i + 1, name: line.slice(0, eq), value: line.slice(eq + 1) }];
  });
}

function scopeList(text: string): string[] {
  return text.split(/\s+/).filter((scope) => scope !== "");
}

export function isValid(errors: Errors): boolean {
  return Object.keys(errors).length === 0;
}

/** The wire value for `check_source`, `add_source` and `edit_source`: text as typed, which the
 *  engine trims and checks. Lines of the extra parameters' box without `=` are the window's own
 *  problem (`ownErrors`) and are left out. */
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
        redirectPort: draft.redirectPort,
        extraParams: paramLines(draft.authParams).flatMap(({ name, value }) => (value === undefined ? [] : [{ name, value }])),
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
