// The sources' overall health for the tray icon: the worst badge among the enabled sources. A
// source that needs a (new) sign-in or more scope is "needs sign-in"; one in error (a failed
// Test, a missing secret, unreadable tokens) is "error"; anything else is fine.
import type { HealthView, SourceView } from "../api";
import { badgeFor, type SignInProgress, type TestOutcome } from "./badge";

export function healthOf(
  sources: readonly SourceView[],
  tests: ReadonlyMap<string, TestOutcome>,
  signIns: ReadonlyMap<string, SignInProgress>,
): HealthView {
  let health: HealthView = "allGood";
  for (const source of sources) {
    if (!source.enabled) continue;
    const { code, tone } = badgeFor(source, tests.get(source.id), signIns.get(source.id));
    if (tone === "error") return "error";
    if (code === "needs-sign-in" || code === "needs-more-scope") health = "needsSignIn";
  }
  return health;
}
