// One typed function per shell command. The wire types in ./generated are written by ts-rs from
// src-tauri/src/wire/, ui_error.rs and events.rs (`cargo test -p lanyard-app`), so a change on
// the Rust side that this code does not follow fails the type check.
import { call } from "./call";
import type { DisconnectView } from "./generated/DisconnectView";
import type { ImportView } from "./generated/ImportView";
import type { NewSource } from "./generated/NewSource";
import type { SourceView } from "./generated/SourceView";
import type { TokensView } from "./generated/TokensView";
import type { ToolView } from "./generated/ToolView";

export type { DisconnectView, ImportView, NewSource, SourceView, TokensView, ToolView };
export type { ActivityView } from "./generated/ActivityView";
export type { AppEvent } from "./generated/AppEvent";
export type { NewOAuth } from "./generated/NewOAuth";
export type { NamedValue } from "./generated/NamedValue";
export type { NewTransport } from "./generated/NewTransport";
export type { StateView } from "./generated/StateView";
export type { TransportView } from "./generated/TransportView";
export type { UiError } from "./generated/UiError";
export type { UiErrorKind } from "./generated/UiErrorKind";
export { call, isUiError, setInvoke, toUiError } from "./call";
export { onEvent, setListen } from "./events";

export const listSources = () => call<SourceView[]>("list_sources");
export const addSource = (source: NewSource) => call<void>("add_source", { source });
export const setEnabled = (id: string, enabled: boolean) => call<void>("set_enabled", { id, enabled });
export const removeSource = (id: string) => call<void>("remove_source", { id });
export const listTools = (id: string) => call<ToolView[]>("list_tools", { id });
export const importConfig = (path: string) => call<ImportView>("import_config", { path });
/** Connect and Reconnect: the engine's browser sign-in; resolves when it is done. */
export const signIn = (id: string) => call<TokensView>("sign_in", { id });
export const disconnect = (id: string) => call<DisconnectView>("disconnect", { id });
