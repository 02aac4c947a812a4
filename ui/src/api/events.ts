// The shell's events, typed from the generated `AppEvent` union: a listener names an event the
// shell really sends and receives its payload type. Besides call.ts, the only code that talks
// to Tauri directly.
import { listen } from "@tauri-apps/api/event";
import type { AppEvent } from "./generated/AppEvent";

export type EventName = AppEvent["event"];
export type PayloadOf<N extends EventName> = Extract<AppEvent, { event: N }>["payload"];

/** The listen function, replaceable in tests. Resolves to a function that stops listening. */
export type Listen = (name: string, handler: (payload: unknown) => void) => Promise<() => void>;
let backend: Listen = (name, handler) => listen(name, (event) => handler(event.payload));

export function setListen(fake: Listen): void {
  backend = fake;
}

/** Calls `handler` with each `name` event's payload until the returned function is called. */
export function onEvent<N extends EventName>(name: N, handler: (payload: PayloadOf<N>) => void): Promise<() => void> {
  return backend(name, (payload) => handler(payload as PayloadOf<N>));
}

/** The deep-link plugin's own event: the `lanyard://` links a web page opened while the app ran. */
export function onDeepLink(handler: (urls: string[]) => void): Promise<() => void> {
  return backend("deep-link://new-url", (payload) => handler(Array.isArray(payload) ? payload.filter((u) => typeof u === "string") : []));
}
