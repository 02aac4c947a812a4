// The tool editor's model: one draft per upstream tool (shown or hidden, alias, description
// override), the checks on the names agents would see, and the choices sent to the shell. The
// engine checks aliases again when it saves; these checks show mistakes while typing.
import type { ToolChoiceInput, ToolChoiceView, UiError } from "../api";

export interface ToolDraft {
  name: string;
  upstreamDescription: string | null;
  exposed: boolean;
  /** Blank: the upstream name. */
  alias: string;
  /** Blank: the server's own description. */
  description: string;
}

/** Where the tool editor of one source stands. */
export type ToolEditor =
  | { kind: "loading" }
  | { kind: "failed"; error: UiError }
  | { kind: "editing"; drafts: ToolDraft[]; saving: boolean; error?: UiError };

/** The name rule of MCP clients: what an exposed name (and so an alias) must look like. */
const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function draftsFrom(choices: ToolChoiceView[]): ToolDraft[] {
  return choices.map((c) => ({
    name: c.name,
    upstreamDescription: c.upstreamDescription,
    exposed: c.exposed,
    alias: c.alias ?? "",
    description: c.description ?? "",
  }));
}

/** The name agents see for a draft. */
export const exposedName = (d: ToolDraft): string => d.alias.trim() || d.name;

/** What is wrong with each draft's alias, by upstream name; empty when everything can be saved. */
export function aliasErrors(drafts: ToolDraft[]): Record<string, string> {
  const errors: Record<string, string> = {};
  const aliasUsers = new Map<string, number>();
  for (const d of drafts) {
    const alias = d.alias.trim();
    if (alias) aliasUsers.set(alias, (aliasUsers.get(alias) ?? 0) + 1);
  }
  const shown = new Map<string, number>();
  for (const d of drafts.filter((d) => d.exposed)) shown.set(exposedName(d), (shown.get(exposedName(d)) ?? 0) + 1);
  for (const d of drafts) {
    const alias = d.alias.trim();
    if (!alias) continue;
    if (!TOOL_NAME.test(alias)) {
      errors[d.name] = "Use 1 to 64 letters, digits, _ or -: agents refuse other names.";
    } else if ((aliasUsers.get(alias) ?? 0) > 1) {
      errors[d.name] = `“${alias}” is the alias of another tool too.`;
    } else if (d.exposed && (shown.get(alias) ?? 0) > 1) {
      errors[d.name] = `“${alias}” is already the name of another tool agents see.`;
    }
  }
  return errors;
}

export function toChoices(drafts: ToolDraft[]): ToolChoiceInput[] {
  const blankToNull = (text: string) => (text.trim() === "" ? null : text.trim());
  return drafts.map((d) => ({
    name: d.name,
    exposed: d.exposed,
    alias: blankToNull(d.alias),
    description: blankToNull(d.description),
  }));
}
