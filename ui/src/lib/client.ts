// How the OAuth client behind a source's tokens is registered, in words for the detail view. The
// wire carries the client id (not a secret) and only whether a client secret is used.
import type { ClientView } from "../api";

/** "pre-registered", "Client ID Metadata Document", "dynamic registration (RFC 7591)". */
export function registrationLabel(client: ClientView): string {
  switch (client.registration) {
    case "preRegistered":
      return "pre-registered";
    case "metadataDocument":
      return "Client ID Metadata Document";
    case "dynamic":
      return "dynamic registration (RFC 7591)";
  }
}

/** Whether the client proves itself with a secret: "client secret set" or "public client". */
export const secretLabel = (client: ClientView): string =>
  client.clientSecretSet ? "client secret set" : "public client, no secret";
