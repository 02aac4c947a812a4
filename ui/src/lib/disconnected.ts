// What Disconnect did, in words for the notice. Every outcome leaves the tokens gone from the
// keychain; they differ in what the server was told.
import type { DisconnectView } from "../api";

/** What Disconnect did, in words. */
export function disconnected(outcome: DisconnectView): string {
  switch (outcome.kind) {
    case "nothingStored":
      return "Disconnected (it held no tokens).";
    case "forgotten":
      return "Disconnected: the tokens were forgotten (the server offers no revocation).";
    case "revoked":
      return "Disconnected: the tokens were revoked at the server and forgotten.";
    case "revocationFailed":
      return `Disconnected: the tokens were forgotten, but the server did not confirm revoking them (${outcome.reason}).`;
    case "other":
      return "Disconnected.";
  }
}
