// One typed function per shell command. The wire types in ./generated are written by ts-rs from
// src-tauri/src/wire/, ui_error.rs and events.rs, and from the engine's add and edit form
// (src/profile/form.rs, settings.rs) (`cargo test -p lanyard-app`), so a change on
// the Rust side that this code does not follow fails the type check.
import { call } from "./call";
import type { AgentsView } from "./generated/AgentsView";
import type { CatalogAdd } from "./generated/CatalogAdd";
import type { CatalogAnswer } from "./generated/CatalogAnswer";
import type { CatalogRequest } from "./generated/CatalogRequest";
import type { AgentChange } from "./generated/AgentChange";
import type { AgentsBoard } from "./generated/AgentsBoard";
import type { CatalogChoice } from "./generated/CatalogChoice";
import type { DisconnectView } from "./generated/DisconnectView";
import type { HealthView } from "./generated/HealthView";
import type { HubView } from "./generated/HubView";
import type { IdeClientView } from "./generated/IdeClientView";
import type { IdeConfigView } from "./generated/IdeConfigView";
import type { ImportView } from "./generated/ImportView";
import type { NewSource } from "./generated/NewSource";
import type { FieldProblem } from "./generated/FieldProblem";
import type { LogEntryView } from "./generated/LogEntryView";
import type { RevealedToken } from "./generated/RevealedToken";
import type { SourceSettings } from "./generated/SourceSettings";
import type { SourceView } from "./generated/SourceView";
import type { TokensView } from "./generated/TokensView";
import type { ToolChoiceInput } from "./generated/ToolChoiceInput";
import type { ToolChoiceView } from "./generated/ToolChoiceView";
import type { ToolView } from "./generated/ToolView";
import type { ToolResultView } from "./generated/ToolResultView";
import type { ElicitAnswerInput } from "./generated/ElicitAnswerInput";
import type { WrittenView } from "./generated/WrittenView";
import type { ClientsView } from "./generated/ClientsView";
import type { TakenOverView } from "./generated/TakenOverView";
import type { UndoneView } from "./generated/UndoneView";

export type { DisconnectView, ImportView, NewSource, SourceView, TokensView, ToolView };
export type { ToolResultView, ElicitAnswerInput };
export type { ElicitationAsked } from "./generated/ElicitationAsked";
export type { ToolChoiceInput, ToolChoiceView, SourceSettings, LogEntryView, AgentsView };
export type { SettingRow } from "./generated/SettingRow";
export type { AgentChange, AgentsBoard };
export type { AgentRow } from "./generated/AgentRow";
export type { AgentRights } from "./generated/AgentRights";
export type { AgentUse } from "./generated/AgentUse";
export type { ToolRule } from "./generated/ToolRule";
export type { RevealedToken };
export type { PendingTool } from "./generated/PendingTool";
export type { LaunchView } from "./generated/LaunchView";
export type { HealthView, HubView, IdeClientView, IdeConfigView, WrittenView };
export type { CliView } from "./generated/CliView";
export type { ClientsView, TakenOverView, UndoneView };
export type { McpClientView } from "./generated/McpClientView";
export type { ClientStateView } from "./generated/ClientStateView";
export type { HubFailureView } from "./generated/HubFailureView";
export type { ActivityView } from "./generated/ActivityView";
export type { ClientView } from "./generated/ClientView";
export type { AppEvent } from "./generated/AppEvent";
export type { NewOAuth } from "./generated/NewOAuth";
export type { FieldProblem } from "./generated/FieldProblem";
export type { NewAuth } from "./generated/NewAuth";
export type { NamedValue } from "./generated/NamedValue";
export type { NewTransport } from "./generated/NewTransport";
export type { StateView } from "./generated/StateView";
export type { TransportView } from "./generated/TransportView";
export type { UiError } from "./generated/UiError";
export type { UiErrorKind } from "./generated/UiErrorKind";
import { toUiError } from "./call";
export { call, isUiError, setInvoke, toUiError } from "./call";
export { onDeepLink, onEvent, setListen } from "./events";

export const listSources = () => call<SourceView[]>("list_sources");
export const addSource = (source: NewSource) => call<void>("add_source", { source });
/** The engine's problems with the add or edit form, field by field; none when it saves. */
export const checkSource = (source: NewSource, editing: boolean) =>
  call<FieldProblem[]>("check_source", { source, editing });
/** A saved source's settings for the edit form; secrets only as set / not set. */
export const sourceSettings = (id: string) => call<SourceSettings>("source_settings", { id });
export const editSource = (source: NewSource) => call<void>("edit_source", { source });
export const setEnabled = (id: string, enabled: boolean) => call<void>("set_enabled", { id, enabled });
/** What the removal did, in the engine's words (the agents that no longer list the source). */
export const removeSource = (id: string) => call<string>("remove_source", { id });
export const listTools = (id: string) => call<ToolView[]>("list_tools", { id });
/** Tries one tool on a connection of its own; the server's questions meanwhile come as
 *  `elicitationAsked` events. */
export const callTool = (id: string, name: string, args: Record<string, unknown>) =>
  call<ToolResultView>("call_tool", { id, name, arguments: args });
/** The person's answer to a server's question; `false` when the server no longer waits. */
export const answerElicitation = (number: number, answer: ElicitAnswerInput) =>
  call<boolean>("answer_elicitation", { number, answer });
/** Opens the URL a server's URL question names, when the person presses Open. */
export const openElicitationUrl = (number: number) => call<boolean>("open_elicitation_url", { number });
/** Every tool the server lists, before the source's filter, with the filter's say on each. */
export const toolChoices = (id: string) => call<ToolChoiceView[]>("tool_choices", { id });
export const setToolChoices = (id: string, choices: ToolChoiceInput[]) =>
  call<void>("set_tool_choices", { id, choices });
/** The person's word on a tool withheld from agents since it changed (see `toolChanges`). */
export type Verdict = "approve" | "reject";
/** Approves (or rejects) the withheld tool `tool`, or every withheld tool without one. */
export const approveToolChanges = (id: string, tool?: string, verdict?: Verdict) =>
  call<void>("approve_tool_changes", { id, tool: tool ?? null, verdict: verdict ?? null });
/** The newest entries of a source's activity log, newest first. */
export const sourceActivity = (id: string) => call<LogEntryView[]>("source_activity", { id });
export const importConfig = (path: string) => call<ImportView>("import_config", { path });
/** Connect and Reconnect: the engine's browser sign-in; resolves when it is done. */
export const signIn = (id: string) => call<TokensView>("sign_in", { id });
/** Stops a sign-in that waits; its `signIn` call then fails with kind `Cancelled`. */
export const cancelSignIn = (id: string) => call<boolean>("cancel_sign_in", { id });
export const disconnect = (id: string) => call<DisconnectView>("disconnect", { id });
/** Where the hub (the HTTP bridge the app hosts) stands. */
export const hubStatus = () => call<HubView>("hub_status");
/** The agent sessions the hub served recently, per route. */
export const hubAgents = () => call<AgentsView>("hub_agents");
/** The bridge token (the built-in agent `default`'s), or `agent`'s: only on the person's explicit
 *  Reveal or Copy key click, never kept in a list or a log. */
export const revealBridgeToken = (agent?: string) => call<RevealedToken>("reveal_bridge_token", agent ? { agent } : {});
/** Every agent with its rights, and its use since `sinceMs` (Unix ms; the window's midnight). */
export const agentsBoard = (sinceMs: number) => call<AgentsBoard>("agents_board", { sinceMs });
/** Add, edit, rotate, remove, or split `default`; no key comes back. */
/** The engine's words for what the change did (a rotate, a remove), or null. */
export const changeAgent = (change: AgentChange) => call<string | null>("change_agent", { change });
export const ideConfig = (client: IdeClientView) => call<IdeConfigView>("ide_config", { client });
export const writeIdeConfig = (client: IdeClientView) => call<WrittenView>("write_ide_config", { client });
/** Every agent and IDE Lanyard knows, with where its own file stands with Lanyard. */
export const listClients = () => call<ClientsView>("list_clients");
/** Set up: an entry per enabled source in the client's file, running `lanyard bridge` (as
 *  `agent`, with its key, when one is given: the sources that agent may use). */
export const setUpClient = (id: string, agent?: string) => call<WrittenView>("set_up_client", agent ? { id, agent } : { id });
/** Import: the client's own servers become sources, and its entries go through Lanyard. */
export const importClient = (id: string) => call<TakenOverView>("import_client", { id });
/** Undo: the client's file as it was before Lanyard's last write. */
export const undoClient = (id: string) => call<UndoneView>("undo_client", { id });
/** Whether the app starts at login, and turning it on or off (answers the new setting). */
export const startAtLogin = () => call<boolean>("start_at_login");
export const setStartAtLogin = (enabled: boolean) => call<boolean>("set_start_at_login", { enabled });
/** A desktop notification that these sources need a new sign-in. */
export const notifySignInNeeded = (names: string[]) => call<void>("notify_sign_in_needed", { names });
/** Tells the tray icon the sources' overall health (no engine call). */
export const setHealth = (health: HealthView) => call<void>("set_health", { health });

// The Catalogue: every request is one `catalog` command, answered with a tagged union.
export type { CatalogAdd } from "./generated/CatalogAdd";
export type { CatalogAnswer } from "./generated/CatalogAnswer";
export type { CatalogDetailsView } from "./generated/CatalogDetailsView";
export type { CatalogHitView } from "./generated/CatalogHitView";
export type { CatalogOutdatedSource } from "./generated/CatalogOutdatedSource";
export type { CatalogPreparedView } from "./generated/CatalogPreparedView";
export type { CatalogAddedView } from "./generated/CatalogAddedView";
export type { CatalogQuestionView } from "./generated/CatalogQuestionView";
export type { CatalogSearchView } from "./generated/CatalogSearchView";
export type { CatalogOutdatedView } from "./generated/CatalogOutdatedView";
export type { CatalogOfferView } from "./generated/CatalogOfferView";
export type { CatalogChoice } from "./generated/CatalogChoice";
export type { LinkView } from "./generated/LinkView";
export type { AddLink } from "./generated/AddLink";

type Answered<K extends CatalogAnswer["kind"]> = Extract<CatalogAnswer, { kind: K }>;

/** One `catalog` request; its answer must be of `kind`, else the shell and the window disagree. */
async function catalogCall<K extends CatalogAnswer["kind"]>(kind: K, request: CatalogRequest): Promise<Answered<K>> {
  const answer = await call<CatalogAnswer>("catalog", { request });
  if (answer.kind !== kind) throw toUiError(new Error(`the catalogue answered ${answer.kind}, not ${kind}`));
  return answer as Answered<K>;
}
/** The latest version of each server matching `words`, from every configured registry. */
export const catalogSearch = async (words: string) => (await catalogCall("found", { kind: "search", words })).content;
/** One entry: from `registry` only when given; its plan runs `choice` (the default one without). */
export const catalogDetails = async (registry: string | null, name: string, version: string | null, choice: CatalogChoice | null = null) =>
  (await catalogCall("details", { kind: "details", registry, name, version, choice })).content;
/** With `confirmed: false`, exactly what would be saved; with `true`, saved (secrets to the keychain). */
export const catalogPrepare = async (add: Omit<CatalogAdd, "confirmed">) =>
  (await catalogCall("prepared", { kind: "add", ...add, confirmed: false })).content;
export const catalogAdd = async (add: Omit<CatalogAdd, "confirmed">) =>
  (await catalogCall("added", { kind: "add", ...add, confirmed: true })).content;
/** The sources whose registry entry has a newer version. */
export const catalogOutdated = async () => (await catalogCall("outdated", { kind: "outdated" })).content;
/** A `lanyard://` link, read by the engine: what it says, nothing fetched (`catalogDetails` looks it up). */
export const catalogLink = async (url: string) => (await catalogCall("link", { kind: "link", url })).content;
/** The `lanyard://` links the app was opened with (the deep-link plugin's own command). */
export const openingLinks = () => call<string[] | null>("plugin:deep-link|get_current");
