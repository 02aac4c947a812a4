// The bridge panel's logic: the hub's state in words and tone, the addresses agents use, the IDE
// clients in the order offered.
import type { HubView, IdeClientView, IdeConfigView, SourceView, UiError, WrittenView } from "../api";

export interface HubSummary {
  code: "starting" | "running" | "port-taken" | "failed";
  label: string;
  tone: "ok" | "warn" | "error" | "muted";
  /** What to do about it, when there is something to do: the engine's words. */
  advice: string | null;
}

export function hubSummary(hub: HubView | null): HubSummary {
  if (hub === null || hub.kind === "starting") {
    return { code: "starting", label: "Starting…", tone: "muted", advice: null };
  }
  if (hub.kind === "running") return { code: "running", label: "Running", tone: "ok", advice: null };
  const failed = { code: "failed", label: "Not running", tone: "error", advice: hub.advice } as const;
  return hub.reason.kind === "portTaken" ? { ...failed, code: "port-taken", label: "Port in use", tone: "warn" } : failed;
}

/** The merged server's URL: every enabled source behind one address. */
export const mergedUrl = (address: string) => `http://${address}/mcp`;
/** One source's URL. */
export const sourceUrl = (address: string, id: string) => `http://${address}/mcp/${encodeURIComponent(id)}`;

/** The sources an agent can reach on their own URL: the enabled ones. */
export const servedSources = (sources: readonly SourceView[] | null) => (sources ?? []).filter((s) => s.enabled);

export const CLIENTS: readonly { id: IdeClientView; label: string }[] = [
  { id: "claudeDesktop", label: "Claude Desktop" },
  { id: "cursor", label: "Cursor" },
  { id: "vscode", label: "VS Code" },
  { id: "zed", label: "Zed" },
];

export const clientLabel = (id: IdeClientView) => CLIENTS.find((c) => c.id === id)?.label ?? id;

/** No `lanyard` command where the app looked: the first line of the Bridge and Clients banners. */
export const cliMissingLine = (looked: string) => `The lanyard command was not found (looked in ${looked}).`;

/** The bridge token in the panel: hidden until the person clicks Reveal, forgotten on leaving. */
export type TokenReveal =
  | { kind: "hidden" }
  | { kind: "revealing" }
  | { kind: "shown"; token: string }
  | { kind: "failed"; error: UiError };

/** The chosen client's config snippet. */
export type ConfigState =
  | { kind: "loading" }
  | { kind: "ready"; config: IdeConfigView }
  | { kind: "failed"; error: UiError };

/** Write to config, once clicked. */
export type WriteState =
  | { kind: "writing" }
  | { kind: "written"; written: WrittenView }
  | { kind: "failed"; error: UiError };

/** What a Copy click did, for the line that says so. */
export type CopyOutcome = { what: "token" | "snippet"; ok: boolean };
