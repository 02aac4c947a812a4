// What a source's row shows: the badge (label + tone) and the one main action. Pure functions of
// the engine's state, what the last Test said and where a sign-in stands, so every state is
// tested without a window.
import type { SourceView, TokensView, ToolView, UiError } from "../api";

export type Tone = "ok" | "warn" | "error" | "muted";

export type BadgeCode =
  | "ready"
  | "connected"
  | "expiring"
  | "refreshing"
  | "needs-sign-in"
  | "needs-more-scope"
  | "tokens-unreadable"
  | "signing-in"
  | "missing-secret"
  | "error"
  | "disabled"
  | "waiting-for-approval"
  | "unknown";

export interface Badge {
  label: string;
  tone: Tone;
  /** Stable across wording changes: tests and E2E select on this. */
  code: BadgeCode;
  /** For a failed refresh: when the engine tries again (Unix seconds, `null` on next use); the
   *  badge then counts down to it and `label` is its text at no particular time. */
  retryAt?: number | null;
}

/** The outcome of the last Test of a source during this session, if any. */
export type TestOutcome =
  | { kind: "running" }
  | { kind: "ok"; tools: ToolView[]; at: Date }
  | { kind: "failed"; error: UiError; at: Date };

/**
 * A Connect / Reconnect / Disconnect the person started during this session. `waiting` holds the
 * sign-in URL the browser was given; a success is not kept (the status says Connected).
 */
export type SignInProgress =
  | { kind: "starting" }
  | { kind: "waiting"; url: string }
  | { kind: "disconnecting" }
  | { kind: "failed"; error: UiError; at: Date };

/** Whether a sign-in or disconnect is under way. */
export const isBusy = (progress?: SignInProgress): boolean =>
  progress !== undefined && progress.kind !== "failed";

/** The token status of a source that holds tokens, whatever its state. */
export function tokensOf(source: SourceView): TokensView | undefined {
  const state = source.state;
  switch (state.kind) {
    case "connected":
    case "expiring":
    case "refreshing":
    case "error":
    case "needsMoreScope":
      return state.tokens;
    default:
      return undefined;
  }
}

/** Whether the source signs in with a person's browser (OAuth), so Connect applies. */
export const usesSignIn = (source: SourceView): boolean => source.auth === "oauth";

/** A stdio server from outside (an import, a project's file, a link), off until the person
 *  approves what it runs. */
export const waitsForApproval = (source: SourceView): boolean => source.state.kind === "waitingForApproval";

export function badgeFor(source: SourceView, test?: TestOutcome, signIn?: SignInProgress): Badge {
  if (source.enabled && (signIn?.kind === "starting" || signIn?.kind === "waiting")) {
    return { label: "Signing in…", tone: "muted", code: "signing-in" };
  }
  switch (source.state.kind) {
    case "disabled":
      return { label: "Disabled", tone: "muted", code: "disabled" };
    case "waitingForApproval":
      return { label: "Waiting for your approval", tone: "warn", code: "waiting-for-approval" };
    case "needsSignIn":
      return { label: "Needs sign-in", tone: "warn", code: "needs-sign-in" };
    case "needsMoreScope":
      return { label: "Needs more scope", tone: "warn", code: "needs-more-scope" };
    case "tokensUnreadable":
      return { label: "Sign in again", tone: "error", code: "tokens-unreadable" };
    case "missingSecret":
      return { label: "Missing secret", tone: "error", code: "missing-secret" };
    case "ready":
      if (test?.kind === "failed") {
        return test.error.kind === "NeedsSignIn"
          ? { label: "Needs sign-in", tone: "warn", code: "needs-sign-in" }
          : { label: "Error", tone: "error", code: "error" };
      }
      if (test?.kind === "ok") return { label: "Connected", tone: "ok", code: "connected" };
      return { label: "Ready", tone: "ok", code: "ready" };
    case "connected":
    case "expiring":
      if (test?.kind === "failed" && test.error.kind === "NeedsSignIn") {
        return { label: "Needs sign-in", tone: "warn", code: "needs-sign-in" };
      }
      return source.state.kind === "connected"
        ? { label: "Connected", tone: "ok", code: "connected" }
        : { label: "Expiring soon", tone: "warn", code: "expiring" };
    case "refreshing":
      return { label: "Refreshing", tone: "ok", code: "refreshing" };
    case "error":
      return { label: "Error, retrying", tone: "error", code: "error", retryAt: source.state.retryAt };
    case "other":
      return { label: source.state.summary, tone: "muted", code: "unknown" };
  }
}

export type MainActionKind = "test" | "enable" | "details" | "connect" | "reconnect" | "disconnect" | "busy";
export type MainAction = { kind: MainActionKind; label: string };

/**
 * The row's main action. A source that signs in with the browser offers *Connect* when it never
 * did (or was disconnected), *Reconnect* when its sign-in ran out, failed or lacks scope, and
 * *Disconnect* while connected; other sources offer *Test*.
 */
export function mainActionFor(source: SourceView, test?: TestOutcome, signIn?: SignInProgress): MainAction {
  if (source.state.kind === "disabled") return { kind: "enable", label: "Enable" };
  // Approving is done where the command shows in full: the detail.
  if (waitsForApproval(source)) return { kind: "details", label: "Review…" };
  if (signIn?.kind === "starting" || signIn?.kind === "waiting") {
    return { kind: "busy", label: "Waiting for the browser…" };
  }
  if (signIn?.kind === "disconnecting") return { kind: "busy", label: "Disconnecting…" };
  if (!usesSignIn(source)) {
    switch (source.state.kind) {
      case "ready":
      case "connected":
      case "expiring":
      case "refreshing":
      case "error":
        return { kind: "test", label: "Test" };
      default:
        return { kind: "details", label: "Details" };
    }
  }
  const refused = test?.kind === "failed" && test.error.kind === "NeedsSignIn";
  switch (source.state.kind) {
    case "connected":
    case "expiring":
    case "refreshing":
    case "error":
      return refused ? { kind: "reconnect", label: "Reconnect" } : { kind: "disconnect", label: "Disconnect" };
    case "needsMoreScope":
    case "tokensUnreadable":
      return { kind: "reconnect", label: "Reconnect" };
    case "needsSignIn": {
      const failedBefore = signIn?.kind === "failed" || source.activity.lastError !== null || refused;
      return failedBefore ? { kind: "reconnect", label: "Reconnect" } : { kind: "connect", label: "Connect" };
    }
    default:
      return { kind: "details", label: "Details" };
  }
}

/**
 * What to do, in the engine's words for the window (its buttons, not the CLI's commands): for a
 * source whose fix is a sign-in, the engine's to-do for the button the window offers (which the
 * window knows best: a refused Test, a sign-in under way); else the shell's hint.
 */
export function todoFor(source: SourceView, test?: TestOutcome, signIn?: SignInProgress): string | null {
  const action = mainActionFor(source, test, signIn);
  // The scopes to grant: the shell's hint names them, from the engine's remedy.
  if (action.kind === "reconnect" && source.state.kind === "needsMoreScope") return source.hint;
  if (action.kind === "connect" || action.kind === "reconnect") {
    return source.signInHints?.[action.kind] ?? source.hint;
  }
  if (action.kind === "busy" || action.kind === "disconnect") return null;
  return source.hint;
}

export function authLabel(source: SourceView): string {
  switch (source.auth) {
    case "none":
      return "none";
    case "headers":
      return "credentials in headers or environment";
    case "oauth":
      return "sign-in with the browser (OAuth)";
    case "clientCredentials":
      return "service account (OAuth client credentials)";
    case "passthrough":
      return "the agent's own credentials, passed through";
    case "other":
      return "other";
  }
}

export function transportLabel(source: SourceView): string {
  switch (source.transport) {
    case "stdio":
      return "stdio";
    case "http":
      return "HTTP";
    case "sse":
      return "SSE (deprecated)";
  }
}
