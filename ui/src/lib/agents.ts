// The Agents view's logic: an agent's rights and use in words, the editor's draft (sources and,
// per source, tools as checkboxes) and the rights it sends back. A source whose tool list the
// person never opened keeps its rule as it was, so an edit changes only what was touched.
import type { AgentRights, AgentRow, AgentUse, ToolRule } from "../api";

/** The tools one source offers the editor's checkboxes (its tools as agents see them). */
export type ToolList = { kind: "loading" } | { kind: "ready"; tools: string[] } | { kind: "failed"; message: string };

export interface AgentDraft {
  /** `add` for a new agent; `edit` keeps the name. */
  mode: "add" | "edit";
  name: string;
  allSources: boolean;
  /** The sources ticked (when not `allSources`). */
  sources: string[];
  /** The rules as the agent had them, by source: kept for sources whose list was not opened. */
  rules: Record<string, ToolRule>;
  /** Per source whose tool list was opened: the tools ticked. */
  picked: Record<string, string[]>;
  resources: boolean;
  prompts: boolean;
}

/** Agent names follow source ids: lowercase letters, digits, `-` and `_`, at most 64. */
const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function newDraft(): AgentDraft {
  return { mode: "add", name: "", allSources: false, sources: [], rules: {}, picked: {}, resources: true, prompts: true };
}

export function draftOf(row: AgentRow): AgentDraft {
  const { rights } = row;
  return {
    mode: "edit",
    name: row.name,
    allSources: rights.sources === null,
    sources: rights.sources ?? [],
    rules: Object.fromEntries(rights.tools.map((rule) => [rule.source, rule])),
    picked: {},
    resources: rights.resources,
    prompts: rights.prompts,
  };
}

/** Whether the agent may use `tool` of `source` under `rule` (an empty include means all,
 *  exclude wins): the engine's rule, to tick the boxes when a list opens. */
export function allows(rule: ToolRule | undefined, tool: string): boolean {
  if (!rule) return true;
  const included = rule.include.length === 0 || rule.include.includes(tool);
  return included && !rule.exclude.includes(tool);
}

/** The tools ticked when `source`'s list of `tools` opens. */
export function pickedOf(draft: AgentDraft, source: string, tools: string[]): string[] {
  return tools.filter((tool) => allows(draft.rules[source], tool));
}

/** What is wrong with a draft, by field. */
export interface DraftErrors {
  name?: string;
  sources?: string;
  tools?: string;
}

/** What is wrong with the draft, for the field that is wrong; none when it can be saved. */
export function draftErrors(draft: AgentDraft, existing: string[]): DraftErrors {
  const errors: DraftErrors = {};
  if (draft.mode === "add") {
    if (draft.name === "") errors.name = "Give the agent a name, e.g. the client it is for (cursor, ci-bot).";
    else if (draft.name === "default") errors.name = "`default` is the built-in agent; choose another name.";
    else if (!NAME.test(draft.name)) errors.name = "Use lowercase letters, digits, - and _ (at most 64), starting with a letter or digit.";
    else if (existing.includes(draft.name)) errors.name = `There is an agent named ${draft.name} already.`;
  }
  if (!draft.allSources && draft.sources.length === 0) errors.sources = "Tick the sources this agent may use, or Every source.";
  const empty = Object.entries(draft.picked).find(([source, tools]) => inUse(draft, source) && tools.length === 0);
  if (empty) errors.tools = `Tick at least one tool of ${empty[0]}, or untick the source.`;
  return errors;
}

function inUse(draft: AgentDraft, source: string): boolean {
  return draft.allSources || draft.sources.includes(source);
}

/** The rights the draft gives. A source whose list was opened gets the tools ticked (every one
 *  ticked: no rule, so tools the source adds later are allowed too); others keep their rule. A
 *  source no longer in the profile file (`known`) is dropped: the engine refuses to save it. */
export function rightsOf(draft: AgentDraft, lists: ReadonlyMap<string, ToolList>, known: readonly string[]): AgentRights {
  const tools: ToolRule[] = [];
  const sources = new Set([...Object.keys(draft.rules), ...Object.keys(draft.picked)]);
  for (const source of [...sources].sort()) {
    if (!inUse(draft, source) || !known.includes(source)) continue;
    const picked = draft.picked[source];
    const list = lists.get(source);
    if (picked === undefined || list?.kind !== "ready") {
      const kept = draft.rules[source];
      if (kept) tools.push(kept);
    } else if (picked.length < list.tools.length) {
      tools.push({ source, include: [...picked], exclude: [] });
    }
  }
  return {
    sources: draft.allSources ? null : draft.sources.filter((source) => known.includes(source)),
    tools,
    resources: draft.resources,
    prompts: draft.prompts,
  };
}

/** The rights in one line each: sources, then the tools of each ruled source. */
export function rightsLines(rights: AgentRights): string[] {
  const sources = rights.sources === null ? "Every source" : rights.sources.length ? `Sources: ${rights.sources.join(", ")}` : "No source";
  const tools = rights.tools.map((rule) => {
    const some = rule.include.length ? rule.include.join(", ") : "every tool";
    const except = rule.exclude.length ? ` except ${rule.exclude.join(", ")}` : "";
    return `Tools of ${rule.source}: ${some}${except}`;
  });
  const not = [rights.resources ? null : "resources", rights.prompts ? null : "prompts"].filter((x) => x !== null);
  return [sources, ...tools, ...(not.length ? [`No ${not.join(" or ")}`] : [])];
}

/** Use in words: "Last used 3 min ago · 4 calls today · 1 error". */
export function useLine(use: AgentUse, nowMs: number): string {
  const last = use.lastMs === null ? "Never used" : `Last used ${ago(nowMs - use.lastMs)}`;
  const calls = `${use.calls} ${use.calls === 1 ? "call" : "calls"} today`;
  const errors = `${use.errors} ${use.errors === 1 ? "error" : "errors"}`;
  return `${last} · ${calls} · ${errors}`;
}

function ago(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.floor(hours / 24);
  return `${days} ${days === 1 ? "day" : "days"} ago`;
}

/** The local midnight before `now`, in Unix milliseconds: where "today" starts. */
export function midnightBefore(now: Date): number {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
}

/** The names to split `default` into: the clients chosen that are not agents yet, as agent names. */
export function splitNames(chosen: string[], agents: AgentRow[]): string[] {
  const taken = new Set(agents.map((agent) => agent.name));
  return chosen.filter((id) => NAME.test(id) && !taken.has(id));
}
