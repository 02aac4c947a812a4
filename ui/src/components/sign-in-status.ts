// Where a Connect / Reconnect stands, in words: waiting for the browser (with the sign-in URL,
// as text to copy when no browser opened; never a link, which would load it in this window), or
// why it failed; while it waits, Cancel stops it. The URL carries no secret: the PKCE verifier and the code stay in the engine.
import type { SignInProgress } from "../lib/badge";
import { h } from "../lib/dom";
import { errorBanner } from "./error-banner";

export function signInStatus(progress: SignInProgress | undefined, onCancel?: () => void): HTMLElement | null {
  const cancel = onCancel
    ? h("button", { "data-testid": "cancel-sign-in", onclick: () => onCancel() }, "Cancel sign-in")
    : null;
  switch (progress?.kind) {
    case undefined:
    case "disconnecting":
      return null;
    case "starting":
      return h("div", { class: "notice wait", role: "status", "data-testid": "sign-in-waiting" }, h("p", {}, "Starting the sign-in…"), cancel);
    case "waiting":
      return h(
        "div",
        { class: "notice wait", role: "status", "data-testid": "sign-in-waiting" },
        h("p", {}, "Waiting for the browser: finish signing in there. If no browser opened, open this address:"),
        h("p", { class: "mono url", "data-testid": "sign-in-url" }, progress.url),
        cancel,
      );
    case "failed":
      return h(
        "div",
        { "data-testid": "sign-in-failed" },
        h("h2", {}, `Sign-in failed (${progress.at.toLocaleTimeString()})`),
        errorBanner(progress.error, "sign-in-error"),
      );
  }
}
