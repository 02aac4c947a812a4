// The Catalogue's rules that need no DOM: the values an add starts from, what is wrong with the
// typed ones, the answers sent (blank ones left out so the entry's default applies), how a check
// and an update read. The engine checks the same again (`lanyard::catalog`); this is for saying
// it inline, before a round trip.
import type { CatalogChoice, CatalogOfferView, CatalogOutdatedSource, CatalogQuestionView } from "../api";

export type Values = Record<string, string>;

/** The add form's first values: each question's default, secrets blank (never prefilled). */
export function initialValues(questions: readonly CatalogQuestionView[]): Values {
  const values: Values = {};
  for (const q of questions) values[q.key] = q.secret ? "" : (q.default ?? "");
  return values;
}

/** What is wrong with `values`, by question key: a required value left blank, a value that is
 *  not one of the question's choices. Empty when the add may go on. */
export function inputErrors(questions: readonly CatalogQuestionView[], values: Values): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const q of questions) {
    const value = values[q.key] ?? "";
    if (value.trim() === "") {
      if (q.mustAsk) errors[q.key] = `${q.label} is required.`;
      continue;
    }
    if (q.choices.length > 0 && !q.choices.includes(value)) {
      errors[q.key] = `Pick one of ${q.choices.join(", ")}.`;
    }
  }
  return errors;
}

/** The answers to send: every value given, blank ones left out (the entry's default, or
 *  nothing, then applies). Secret values are sent as typed, inward only. */
export function answersOf(questions: readonly CatalogQuestionView[], values: Values): Record<string, string> {
  const answers: Record<string, string> = {};
  for (const q of questions) {
    const value = values[q.key] ?? "";
    if (value.trim() !== "") answers[q.key] = q.secret ? value : value.trim();
  }
  return answers;
}

export interface VerdictLabel {
  label: string;
  tone: "ok" | "warn" | "error";
}

/** An ownership check's verdict in words: a mismatch is a warning the person must see. */
export function verdictLabel(verdict: string): VerdictLabel {
  if (verdict === "verified") return { label: "Verified", tone: "ok" };
  if (verdict === "mismatch") return { label: "Does not match the publisher", tone: "error" };
  return { label: "Not checked", tone: "warn" };
}

/** The newer version of a source's registry entry, when there is one. */
export function updateFor(id: string, outdated: readonly CatalogOutdatedSource[]): CatalogOutdatedSource | undefined {
  return outdated.find((row) => row.id === id);
}

/** How old a cached answer is, for a person. */
export function cachedAge(cachedAt: number, now: number): string {
  const minutes = Math.max(0, Math.round((now - cachedAt) / 60));
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

/** The packages and remotes an add may choose between: those Lanyard can run. A choice is
 *  offered only when there are several. */
export function runnableOffers(offers: readonly CatalogOfferView[]): CatalogOfferView[] {
  return offers.filter((o) => o.unsupported === null);
}

/** A choice as a form value, and back: `package:0`, `remote:1`. */
export function choiceKey(choice: CatalogChoice): string {
  return `${choice.kind}:${choice.index}`;
}
