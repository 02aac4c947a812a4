// The one place that talks to the Tauri shell. Every command goes through `call()`, which turns
// any rejection into a typed UiError, so views branch on `kind` and never parse text.
import { invoke } from "@tauri-apps/api/core";
import type { UiError } from "./generated/UiError";
import type { UiErrorKind } from "./generated/UiErrorKind";

const KINDS: readonly UiErrorKind[] = [
  "NeedsSignIn",
  "KeychainLocked",
  "NoKeychain",
  "InvalidProfile",
  "Unreachable",
  "SignInFailed",
  "Cancelled",
  "Other",
];

/** Whether a value has the UiError wire shape. */
export function isUiError(value: unknown): value is UiError {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.message === "string" && KINDS.includes(v.kind as UiErrorKind);
}

/** Any rejection as a UiError: the shell's own errors pass through, anything else is `Other`. */
export function toUiError(reason: unknown): UiError {
  if (isUiError(reason)) return reason;
  const message = reason instanceof Error ? reason.message : String(reason);
  return { kind: "Other", message };
}

/** The invoke function, replaceable in tests. */
export type Invoke = (command: string, args?: Record<string, unknown>) => Promise<unknown>;
let backend: Invoke = (command, args) => invoke(command, args);

export function setInvoke(fake: Invoke): void {
  backend = fake;
}

export async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return (await backend(command, args)) as T;
  } catch (reason) {
    throw toUiError(reason);
  }
}
