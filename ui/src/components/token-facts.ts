// What a signed-in source holds, at a glance: the expiry countdown, the granted scopes, the
// issuer, how the client is registered there, and the account; and the last sign-in or refresh error with its time and what to do.
// Shared by the list (compact) and the detail view (full). Nothing here is secret: the wire
// carries token status, never a token.
import type { ActivityView, SourceView, TokensView } from "../api";
import { clockTime } from "../lib/countdown";
import { h } from "../lib/dom";
import { retryEl } from "./badge";
import { countdownEl } from "./countdown";

/** The scopes as chips; "none" when the server granted none. */
export function scopesEl(scopes: readonly string[], testid = "scopes"): HTMLElement {
  return h(
    "span",
    { class: "scopes", "data-testid": testid, "data-scopes": scopes.join(" ") },
    scopes.length === 0 ? h("span", { class: "muted" }, "no scopes") : scopes.map((s) => h("code", { class: "scope" }, s)),
  );
}

/** The full token facts, as rows of the detail view's fact list. */
export function tokenFacts(tokens: TokensView, now: number): HTMLElement[] {
  const facts: [string, HTMLElement | string][] = [
    ["Access token", countdownEl(tokens, now, "detail-expiry")],
    ["Scopes", scopesEl(tokens.scopes, "detail-scopes")],
    ["Issuer", tokens.issuer],
    ["Client", clientEl(tokens)],
  ];
  if (tokens.account) facts.push(["Account", tokens.account]);
  facts.push([
    "Renewal",
    !tokens.signedInByPerson
      ? "a new token is requested when needed (service account)"
      : tokens.hasRefreshToken
        ? "refresh token held; renewed shortly before expiry"
        : "no refresh token: sign in again when it expires",
  ]);
  facts.push(["Obtained", clockTime(tokens.obtainedAt)]);
  return facts.flatMap(([term, value]) => [
    h("dt", {}, term),
    h("dd", { "data-testid": `fact-${term.toLowerCase().replace(/ /g, "-")}` }, value),
  ]);
}

/** The client the tokens were issued to: its registration, its id and whether a secret is set (the engine's words). */
function clientEl(tokens: TokensView): HTMLElement {
  const { client } = tokens;
  return h(
    "span",
    { "data-registration": client.registration },
    `${client.registrationWords}: `,
    h("code", { "data-testid": "client-id" }, client.clientId),
    h("span", { class: "muted" }, ` (${client.secretWords})`),
  );
}

/**
 * For a source whose refresh failed: how many times in a row, and when the engine tries again (a
 * ticking countdown to the end of its backoff). Nothing for other states.
 */
export function refreshFailureFacts(source: SourceView, now: number): HTMLElement[] {
  if (source.state.kind !== "error") return [];
  const failures = source.activity.lastRefresh?.ok === false ? source.activity.lastRefresh.failures : 0;
  const retryAt = source.state.retryAt;
  return [
    h("dt", {}, "Failed refreshes"),
    h(
      "dd",
      { "data-testid": "fact-failures", "data-failures": String(failures) },
      failures === 1 ? "1 (the last one)" : `${failures} in a row`,
    ),
    h("dt", {}, "Next refresh"),
    h(
      "dd",
      { "data-testid": "fact-retry" },
      retryEl(retryAt, now, "retry-countdown"),
      retryAt !== null && retryAt > now ? h("span", { class: "muted" }, ` (at ${clockTime(retryAt)})`) : null,
    ),
  ];
}

/** The last refresh error with its time and hint, or nothing when there is none. */
export function lastTokenError(activity: ActivityView, testid = "token-error"): HTMLElement | null {
  const error = activity.lastError;
  if (!error) return null;
  return h(
    "div",
    { class: "token-error", "data-testid": testid, "data-at": String(error.at) },
    h("span", { class: "when" }, `Last error at ${clockTime(error.at)}: `),
    h("span", { "data-testid": `${testid}-message` }, error.message),
    error.hint ? h("span", { class: "muted", "data-testid": `${testid}-hint` }, ` (${error.hint})`) : null,
  );
}
