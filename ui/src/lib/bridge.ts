// The bridge panel's logic: the hub's state in words and tone, the addresses agents use, the IDE
// clients in the order offered, and what Write to config did, in words.
import type { HubView, IdeClientView, IdeConfigView, SourceView, UiError, WrittenView } from "../api";

export interface HubSummary {
  code: "starting" | "running" | "port-taken" | "failed";
  label: string;
  tone: "ok" | "warn" | "error" | "muted";
  /** What to do about it, when there is something to do. */
  advice: string | null;
}

export function hubSummary(hub: HubView | null): HubSummary {
  if (hub === null || hub.kind === "starting") {
    return { code: "starting", label: "Starting…", tone: "muted", advice: null };
  }
  if (hub.kind === "running") return { code: "running", label: "Running", tone: "ok", advice: null };
  switch (hub.reason.kind) {
    case "portTaken":
      return {
        code: "port-taken",
        label: "Port in use",
        tone: "warn",
        advice:
          `To let this app host the bridge, stop whatever holds port ${hub.reason.port} (for example ` +
          "lanyard serve) and restart Lanyard, or start it with LANYARD_BRIDGE_PORT set to another port.",
      };
    case "badPortSetting":
      return { code: "failed", label: "Not running", tone: "error", advice: "Fix LANYARD_BRIDGE_PORT and restart Lanyard." };
    case "keychain":
      return {
        code: "failed",
        label: "Not running",
        tone: "error",
        advice: "The bridge keeps its token in the keychain: fix the keychain as the message says, then restart Lanyard.",
      };
    case "cannotStart":
    case "stopped":
      return { code: "failed", label: "Not running", tone: "error", advice: "Restart Lanyard to try again." };
  }
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

/** What Write to config did, one sentence per fact. */
export function writtenLines(written: WrittenView): string[] {
  if (!written.changed) return [`${written.path} already has these entries; nothing changed.`];
  const lines = [`Wrote ${written.path}.`];
  if (written.added.length) lines.push(`Added: ${written.added.join(", ")}.`);
  if (written.replaced.length) lines.push(`Replaced: ${written.replaced.join(", ")}.`);
  if (!written.added.length && !written.replaced.length) lines.push("No sources to add: enable or add one first.");
  lines.push(written.backup ? `The previous file is kept as ${written.backup}.` : "There was no file before, so no backup.");
  return lines;
}

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
