// A source's activity log entries in words, for the detail view, with the agents' calls on it
// among them. The engine's entries carry no secret by construction; the only free text is one of
// Lanyard's own error messages, and a call names only its agent, tool and outcome.
import type { LogEntryView } from "../api";

export function activityLine(entry: LogEntryView): string {
  const e = entry.event;
  switch (e.kind) {
    case "connected":
      return "Connected";
    case "connectFailed":
      return `Could not connect: ${e.error}`;
    case "signedIn":
      return "Signed in";
    case "signInFailed":
      return `Sign-in failed: ${e.error}`;
    case "refreshed":
      return "Tokens renewed";
    case "refreshFailed":
      return `Renewing the tokens failed: ${e.error}`;
    case "disconnected":
      return e.revoked ? "Disconnected; the server revoked the tokens" : "Disconnected; the tokens were forgotten";
    case "bridgeSession":
      return `An agent connected through the bridge (${e.overHttp ? "HTTP" : "stdio"})`;
    case "call":
      return `Agent ${e.agent} called ${e.name}: ${e.outcome}`;
    case "other":
      return "Something this version of the app does not know how to say";
  }
}

/** Whether an entry reports a failure (shown in the error colour). */
export const isFailure = (entry: LogEntryView): boolean =>
  entry.event.kind === "connectFailed" ||
  entry.event.kind === "signInFailed" ||
  entry.event.kind === "refreshFailed" ||
  (entry.event.kind === "call" && entry.event.outcome !== "ok");
