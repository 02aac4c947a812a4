// Written by `cargo test -p lanyard-app` from the engine's RESERVED_AUTH_PARAMS. Do not edit.

/** Parameters Lanyard sets itself in an authorization request; the engine refuses them as
 *  extra sign-in parameters. */
export const RESERVED_AUTH_PARAMS: readonly string[] = [
  "response_type",
  "client_id",
  "redirect_uri",
  "state",
  "code_challenge",
  "code_challenge_method",
  "scope",
  "resource",
];
