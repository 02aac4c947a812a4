// Sample wire values for tests, one per state the views must handle.
import type { McpClientView, SourceView, TokensView } from "../api";

export function source(overrides: Partial<SourceView> = {}): SourceView {
  return {
    id: "everything",
    name: "Everything",
    enabled: true,
    transport: "stdio",
    target: "node server.js",
    auth: "none",
    state: { kind: "ready" },
    hint: null,
    signInHints: null,
    activity: { lastRefresh: null, lastError: null },
    protocol: null,
    toolChanges: [],
    launch: null,
    ...overrides,
  };
}

export const disabled = () =>
  source({
    enabled: false,
    state: { kind: "disabled" },
    hint: "click Enable",
  });

/** A stdio server from an import, stored off until the person approves what it runs. */
export const waitingForApproval = (overrides: Partial<SourceView> = {}) =>
  source({
    id: "from-repo",
    name: "from-repo",
    enabled: false,
    state: { kind: "waitingForApproval" },
    hint: "check the command it runs, then click Approve and enable",
    target: "node 'my server.js' --token-file a",
    launch: {
      program: "node",
      args: ["my server.js", "--token-file", "a"],
      command_line: "node 'my server.js' --token-file a",
      cwd: "/home/me/repo",
      env: [
        { name: "API_KEY", secret: "env/API_KEY" },
        { name: "MODE", secret: null },
      ],
      sandbox: { network: "none", read: ["/home/me/repo"], write: [] },
    },
    ...overrides,
  });

const oauthSource = (overrides: Partial<SourceView>) =>
  source({
    id: "github",
    name: "GitHub",
    transport: "http",
    target: "https://api.example.com/mcp",
    auth: "oauth",
    signInHints: { connect: "click Connect to sign in with your browser", reconnect: "click Reconnect to sign in with your browser" },
    ...overrides,
  });

export const needsSignIn = (overrides: Partial<SourceView> = {}) =>
  oauthSource({ state: { kind: "needsSignIn" }, hint: "click Connect to sign in with your browser", ...overrides });

export function tokens(overrides: Partial<TokensView> = {}): TokensView {
  return {
    issuer: "https://as.example",
    scopes: ["mcp:read", "mcp:write"],
    signedInByPerson: true,
    accessExpiresAt: 1_800_000_300,
    hasRefreshToken: true,
    refreshExpiresAt: null,
    obtainedAt: 1_800_000_000,
    account: "alice@example.com",
    client: { registration: "dynamic", registrationWords: "dynamic registration (RFC 7591)", clientId: "dyn-4f2a", secretWords: "public client, no secret" },
    ...overrides,
  };
}

export const connected = (overrides: Partial<TokensView> = {}, source: Partial<SourceView> = {}) =>
  oauthSource({ state: { kind: "connected", tokens: tokens(overrides) }, ...source });

/** Signed in once; the last refresh was refused, so the engine asks for a new sign-in. The shell
 *  sends the error's problem without the CLI's instruction, and the hint in the window's words. */
export const signInExpired = () =>
  needsSignIn({
    hint: "click Reconnect to sign in with your browser",
    activity: {
      lastRefresh: { at: 1_800_000_100, ok: false, failures: 0 },
      lastError: {
        at: 1_800_000_100,
        message: "source `github`: the sign-in expired and the server refused the refresh token (invalid_grant)",
        hint: "click Reconnect to sign in with your browser",
        retryAt: null,
      },
    },
  });

/** The authorization server was down for the last `failures` refreshes; the engine waits until
 *  `retryAt` (its backoff) before trying again. */
export function refreshFailing(failures: number, retryAt: number | null): SourceView {
  const message = "source `github`: token endpoint https://as.example unreachable";
  const hint = "check that the server is reachable; Lanyard keeps the sign-in and tries again later";
  const at = 1_800_000_000;
  return oauthSource({
    state: { kind: "error", tokens: tokens(), message, hint, at, retryAt },
    hint,
    activity: { lastRefresh: { at, ok: false, failures }, lastError: { at, message, hint, retryAt } },
  });
}

/** A client of the catalogue, installed and not set up. */
export function mcpClient(overrides: Partial<McpClientView> = {}): McpClientView {
  return {
    id: "cursor",
    name: "Cursor",
    installed: true,
    path: "/home/a/.cursor/mcp.json",
    state: { kind: "notSetUp" },
    canUndo: false,
    ...overrides,
  };
}
