// Whether the OAuth client behind a source's tokens uses a secret, in words for the detail view (how
// it is registered comes in the engine's words). The wire carries the client id (not a secret) and
// only whether a client secret is used.
import type { ClientView } from "../api";

/** Whether the client proves itself with a secret: "client secret set" or "public client". */
export const secretLabel = (client: ClientView): string =>
  client.clientSecretSet ? "client secret set" : "public client, no secret";
