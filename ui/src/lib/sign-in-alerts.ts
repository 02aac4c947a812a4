// When to tell the person, outside the window, that a source needs a new sign-in: once, as a
// source that held a sign-in turns to needing one, seen between two status reads. Not at the first
// read (nothing was seen to change), not again on later reads while it stays so, and not for a
// change this window made itself (Disconnect).
import type { SourceView } from "../api";

/** States in which a source holds a sign-in. */
const SIGNED_IN = new Set(["connected", "expiring", "refreshing", "error", "needsMoreScope"]);

/** The names of the sources that turned to needing a sign-in between `before` and `after`. */
export function newlyNeedingSignIn(
  before: readonly SourceView[] | null,
  after: readonly SourceView[],
  madeHere: ReadonlySet<string> = new Set(),
): string[] {
  if (before === null) return [];
  const was = new Map(before.map((s) => [s.id, s.state.kind]));
  return after
    .filter((s) => s.state.kind === "needsSignIn" && SIGNED_IN.has(was.get(s.id) ?? "") && !madeHere.has(s.id))
    .map((s) => s.name);
}
