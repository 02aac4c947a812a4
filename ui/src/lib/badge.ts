// What a source's row shows: the badge (label + tone) and the one main action. Pure functions of
// the engine's state and what the last Test said, so every state is tested without a window.
import type { SourceView, ToolView, UiError } from "../api";

export type Tone = "ok" | "warn" | "error" | "muted";

export interface Badge {
  label: string;
  tone: Tone;
  /** Stable across wording changes: tests and E2E select on this. */
  code:
    | "ready"
    | "connected"
    | "expiring"
    | "refreshing"
    | "needs-sign-in"
    | "missing-secret"
    | "error"
    | "disabled"
    | "unknown";
}

/** The outcome of the last Test of a source during this session, if any. */
export type TestOutcome =
  | { kind: "running" }
  | { kind: "ok"; tools: ToolView[]; at: Date }
  | { kind: "failed"; error: UiError; at: Date };

export function badgeFor(source: SourceView, test?: TestOutcome): Badge {
  switch (source.state.kind) {
    case "disabled":
      return { label: "Disabled", tone: "muted", code: "disabled" };
    case "needsSignIn":
      return { label: "Needs sign-in", tone: "warn", code: "needs-sign-in" };
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
      return { label: "Connected", tone: "ok", code: "connected" };
    case "expiring":
      return { label: "Expiring soon", tone: "warn", code: "expiring" };
    case "refreshing":
      return { label: "Refreshing", tone: "ok", code: "refreshing" };
    case "error":
      return { label: "Error, retrying on next use", tone: "error", code: "error" };
    case "other":
      return { label: source.state.summary, tone: "muted", code: "unknown" };
  }
}

export type MainAction = { kind: "test" | "enable" | "details"; label: string };

/** The row's main action. Connect/Reconnect arrive with the engine's sign-in. */
export function mainActionFor(source: SourceView): MainAction {
  switch (source.state.kind) {
    case "disabled":
      return { kind: "enable", label: "Enable" };
    case "ready":
    case "connected":
    case "expiring":
      return { kind: "test", label: "Test" };
    default:
      return { kind: "details", label: "Details" };
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
