// The Clients view's logic: each agent's or IDE's state in words and tone, which of Set up,
// Import and Undo it offers (and why one is not available), and what each did, in words.
import type { CliView, ClientStateView, McpClientView, TakenOverView, UiError, UndoneView, WrittenView } from "../api";

export interface StateSummary {
  code: "not-set-up" | "uses-lanyard" | "could-manage" | "unreadable";
  label: string;
  tone: "ok" | "warn" | "error" | "muted";
}

const servers = (n: number) => (n === 1 ? "1 server" : `${n} servers`);

export function stateSummary(state: ClientStateView): StateSummary {
  switch (state.kind) {
    case "notSetUp":
      return { code: "not-set-up", label: "Not set up", tone: "muted" };
    case "usesLanyard":
      return { code: "uses-lanyard", label: "Uses Lanyard", tone: "ok" };
    case "couldManage":
      return { code: "could-manage", label: `Has ${servers(state.servers)} Lanyard could manage`, tone: "warn" };
    case "unreadable":
      return { code: "unreadable", label: "Its file does not read", tone: "error" };
  }
}

/** The clients found on this computer, and the others (shown collapsed), each in the catalogue's order. */
export function byInstalled(clients: readonly McpClientView[]): { installed: McpClientView[]; others: McpClientView[] } {
  return { installed: clients.filter((c) => c.installed), others: clients.filter((c) => !c.installed) };
}

/** A button the row shows: whether it can be clicked, and why not when it cannot. */
export interface Offer {
  enabled: boolean;
  why: string | null;
}

/** The row's buttons; `null` for one the row does not show (Set up only for a client found here). */
export interface Offers {
  setUp: Offer | null;
  import: Offer | null;
  undo: Offer | null;
}

/** What a row offers, given the client, the `lanyard` CLI the entries run, how many sources are
 *  enabled, and whether one of its moves is under way. */
export function offersFor(client: McpClientView, cli: CliView, enabledSources: number, busy: boolean): Offers {
  const noCli = cli.kind === "missing" ? "Install the lanyard command beside the app or on PATH first." : null;
  const unreadable = client.state.kind === "unreadable" ? "Fix its file first: Lanyard does not write into a file it cannot read." : null;
  const noSources = enabledSources === 0 ? "Add or enable a source first: Set up writes one entry per enabled source." : null;
  const offer = (...reasons: (string | null)[]): Offer => {
    const why = reasons.find((r) => r !== null) ?? null;
    return { enabled: !busy && why === null, why };
  };
  return {
    setUp: client.installed ? offer(unreadable, noCli, noSources) : null,
    import: client.state.kind === "couldManage" ? offer(noCli) : null,
    undo: client.canUndo ? offer() : null,
  };
}

/** A move on one client: under way, done (in words), or failed. */
export type ClientMove =
  | { kind: "busy"; action: "setUp" | "import" | "undo" }
  | { kind: "done"; lines: string[] }
  | { kind: "failed"; error: UiError };

/** What Set up did. */
export function setUpLines(written: WrittenView): string[] {
  const lines = [...written.said];
  if (written.keyVar) {
    lines.push(
      `The entries send the agent's key from the variable ${written.keyVar}, so it is not in the file: set it, where the client starts, to the key (Agents, Copy key).`,
    );
  }
  return written.changed ? [...lines, "Undo puts the file back."] : lines;
}

/** What Import did. */
export function importLines(taken: TakenOverView): string[] {
  const { added, skipped, waiting_said: waiting } = taken.imported;
  const lines = [added.length ? `Imported ${servers(added.length)} as sources: ${added.join(", ")}.` : "No server was imported."];
  if (waiting) lines.push(`${waiting} Sources shows each one.`);
  for (const s of skipped) lines.push(`Skipped ${s.name}: ${s.reason}.`);
  if (taken.written) {
    lines.push(`${taken.written.path} now reaches them through Lanyard; Undo puts the file back (the sources stay).`);
  } else {
    lines.push("Its file was left as it was.");
  }
  return lines;
}

/** What Undo did. */
export function undoneLines(undone: UndoneView): string[] {
  return [undone.removed ? `Removed ${undone.path}: there was no file before Lanyard wrote it.` : `Put ${undone.path} back as it was before Lanyard's write.`];
}
