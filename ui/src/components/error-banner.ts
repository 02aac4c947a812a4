// An error in plain words, with a line on what to do that depends on its kind.
import type { UiError } from "../api";
import { h } from "../lib/dom";

export function advice(error: UiError): string | null {
  switch (error.kind) {
    case "KeychainLocked":
      return "Unlock your keychain (log in to the desktop session or open your keyring app), then try again.";
    case "NoKeychain":
      return "No keychain can keep Lanyard's secrets here. Start a Secret Service (gnome-keyring, or KeePassXC's integration), or start Lanyard with LANYARD_KEYCHAIN=keyutils; see docs/keychain.md.";
    case "NeedsSignIn":
      return "The server wants a new sign-in: click Reconnect.";
    case "SignInFailed":
      return "The sign-in did not finish. Click Connect to try again, and complete it in the browser.";
    case "Unreachable":
      return "Check that the server is running and reachable, then try again.";
    case "InvalidProfile":
      return "Fix the source's settings and try again.";
    case "Cancelled":
    case "Other":
      return null;
  }
}

export function errorBanner(error: UiError, testid = "error-banner"): HTMLElement {
  const tip = advice(error);
  return h(
    "div",
    { class: "banner error", role: "alert", "data-testid": testid, "data-kind": error.kind },
    h("p", { "data-testid": `${testid}-message` }, error.message),
    tip ? h("p", { class: "muted" }, tip) : null,
  );
}
