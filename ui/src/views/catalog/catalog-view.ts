// The Catalogue view: search the MCP registries, open an entry's details (publisher,
// repository, how it runs, what it needs, whether its package or endpoint belongs to its
// publisher), and Add it in steps: the inputs (secrets in password fields, for the keychain),
// then exactly what will run or be connected to, and only on the person's yes, the add. An entry
// with several packages or remotes Lanyard can run lets the person choose one while adding. A
// `lanyard://` link first shows only what it says (its registry flagged when it is not one of the
// person's) and asks before the entry is looked up; then the details open, saying where they came
// from. Renders from the state it is given; `catalog-panel.ts` owns it.
import type { AddLink, CatalogChoice, CatalogDetailsView, CatalogHitView, CatalogPreparedView, CatalogQuestionView, CatalogSearchView, UiError } from "../../api";
import { errorBanner } from "../../components/error-banner";
import { cachedAge, choiceKey, runnableOffers, verdictLabel, type Values } from "../../lib/catalog";
import { h } from "../../lib/dom";

export type SearchState =
  | { kind: "idle" }
  | { kind: "loading" }
  | { kind: "ready"; view: CatalogSearchView }
  | { kind: "failed"; error: UiError };

export type DetailsState =
  /** A link read, nothing fetched yet: the person is asked whether to look it up. */
  | { kind: "link"; link: AddLink; registryConfigured: boolean }
  | { kind: "loading"; name: string }
  | { kind: "ready"; details: CatalogDetailsView }
  | { kind: "failed"; error: UiError };

/** An add under way: the inputs, then what it will save, then saving. */
export type AddFlow =
  | { stage: "inputs"; id: string; values: Values; errors: Record<string, string>; checking: boolean; error?: UiError }
  | { stage: "confirm"; id: string; values: Values; prepared: CatalogPreparedView; saving: boolean; error?: UiError };

export interface CatalogProps {
  words: string;
  search: SearchState;
  details?: DetailsState;
  /** The details came from a `lanyard://` link (or a link could not be read: `linkError`). */
  fromLink: boolean;
  linkError?: string;
  add?: AddFlow;
  /** Unix seconds, for the age of a cached answer. */
  now: number;
  onBack(): void;
  onSearch(words: string): void;
  /** The words as typed, kept so that a re-render does not lose them. */
  onWords(words: string): void;
  onOpen(hit: CatalogHitView): void;
  onCloseDetails(): void;
  /** Yes to a link's "Look it up?": the only request a link leads to before the Add. */
  onLookUp(): void;
  onStartAdd(): void;
  /** Another of the entry's packages or remotes to add. */
  onChoose(choice: CatalogChoice): void;
  onValue(key: string, value: string): void;
  onId(id: string): void;
  onReview(): void;
  onConfirm(): void;
  onCancelAdd(): void;
}

export function catalogView(props: CatalogProps): HTMLElement {
  return h(
    "section",
    {
      class: "view",
      "data-testid": "catalog-view",
      "aria-labelledby": "catalog-title",
      onkeydown: (e: Event) => {
        if ((e as KeyboardEvent).key === "Escape") props.onBack();
      },
    },
    h(
      "header",
      { class: "bar" },
      h("button", { class: "link", "data-testid": "back", onclick: () => props.onBack() }, "← Sources"),
      h("h1", { id: "catalog-title", tabindex: "-1" }, "Catalogue"),
    ),
    h(
      "p",
      { class: "muted" },
      "MCP servers from the registries in your settings. Nothing runs before you have seen the exact command or URL and said yes.",
    ),
    props.linkError
      ? h("div", { class: "banner error", role: "alert", "data-testid": "catalog-link-error" }, h("p", {}, props.linkError))
      : null,
    props.details ? detailsPane(props.details, props) : searchPane(props),
  );
}

function searchPane(props: CatalogProps): HTMLElement {
  const words = h("input", {
    id: "catalog-words",
    type: "search",
    value: props.words,
    placeholder: "weather, github, time…",
    "data-testid": "catalog-words",
    "aria-label": "Search the catalogue",
    oninput: (e: Event) => props.onWords((e.target as HTMLInputElement).value),
  });
  const form = h(
    "form",
    {
      class: "inline",
      "data-testid": "catalog-search",
      onsubmit: (e: Event) => {
        e.preventDefault();
        props.onSearch(words.value.trim());
      },
    },
    words,
    h("button", { type: "submit", class: "primary", "data-testid": "catalog-search-button" }, "Search"),
  );
  return h("div", {}, form, results(props));
}

function results(props: CatalogProps): HTMLElement | null {
  const { search } = props;
  if (search.kind === "idle") return null;
  if (search.kind === "loading") return h("p", { class: "muted", "data-testid": "catalog-loading" }, "Searching…");
  if (search.kind === "failed") return errorBanner(search.error, "catalog-error");
  const { hits, notes } = search.view;
  return h(
    "div",
    {},
    notesEl(notes),
    hits.length === 0
      ? h("p", { class: "muted", "data-testid": "catalog-none" }, "No server matches.")
      : h("ul", { class: "catalog", "data-testid": "catalog-hits" }, hits.map((hit) => hitRow(hit, props))),
  );
}

function hitRow(hit: CatalogHitView, props: CatalogProps): HTMLElement {
  return h(
    "li",
    { class: "catalog-row", "data-testid": "catalog-hit", "data-name": hit.name },
    h("button", { class: "link name", "data-testid": "catalog-open", onclick: () => props.onOpen(hit) }, hit.title),
    h("span", { class: "muted mono" }, `${hit.name} ${hit.version}`),
    hit.description ? h("p", { class: "muted" }, hit.description) : null,
    hit.cachedAt !== null ? h("p", { class: "hint" }, `From the cache, fetched ${cachedAge(hit.cachedAt, props.now)}.`) : null,
  );
}

function notesEl(notes: readonly string[]): HTMLElement | null {
  if (notes.length === 0) return null;
  return h("ul", { class: "notes muted", "data-testid": "catalog-notes" }, notes.map((note) => h("li", {}, note)));
}

function detailsPane(state: DetailsState, props: CatalogProps): HTMLElement {
  const back = h("button", { class: "link", "data-testid": "catalog-close", onclick: () => props.onCloseDetails() }, "← Results");
  if (state.kind === "link") return linkPane(state.link, state.registryConfigured, props);
  if (state.kind === "loading") return h("div", {}, back, h("p", { class: "muted", "data-testid": "catalog-loading" }, `Reading ${state.name}…`));
  if (state.kind === "failed") return h("div", {}, back, errorBanner(state.error, "catalog-error"));
  const d = state.details;
  return h(
    "article",
    { class: "catalog-details", "data-testid": "catalog-details", "data-name": d.name, "data-version": d.version },
    back,
    props.fromLink
      ? h(
          "p",
          { class: "notice wait", role: "status", "data-testid": "catalog-from-link" },
          "A web page asks to add this server. Check what it runs before you add it.",
        )
      : null,
    h("h2", {}, d.title),
    d.description ? h("p", {}, d.description) : null,
    facts(d),
    notesEl(d.notes),
    checksEl(d),
    d.problem ? h("div", { class: "banner error", role: "alert", "data-testid": "catalog-problem" }, h("p", {}, d.problem)) : null,
    d.plan ? planEl(d, props) : null,
  );
}

/** What a link says, before anything is fetched, and the question whether to look it up. */
function linkPane(link: AddLink, registryConfigured: boolean, props: CatalogProps): HTMLElement {
  return h(
    "article",
    { class: "catalog-details", "data-testid": "catalog-link", "data-name": link.name },
    h("p", { class: "notice wait", role: "status", "data-testid": "catalog-from-link" }, "A web page asks to add this server. Nothing has been fetched or run."),
    h(
      "dl",
      { class: "facts" },
      fact("Name", h("span", { class: "mono" }, link.name), "catalog-link-name"),
      fact("Version", link.version ?? "the latest", "catalog-link-version"),
      fact("Registry", link.registry ?? "your registries", "catalog-link-registry"),
    ),
    registryConfigured
      ? null
      : h(
          "div",
          { class: "banner error", role: "alert", "data-testid": "catalog-link-unknown" },
          h("p", {}, `${link.registry} is not one of your registries. Looking it up sends a request to that address, chosen by the web page.`),
        ),
    h("p", {}, "Look it up? Lanyard then shows what it would add, and asks again before it adds anything."),
    h(
      "div",
      { class: "inline" },
      h("button", { class: "primary", "data-testid": "catalog-look-up", onclick: () => props.onLookUp() }, "Look it up"),
      h("button", { "data-testid": "catalog-close", onclick: () => props.onCloseDetails() }, "Cancel"),
    ),
  );
}

function fact(label: string, value: string | Node | null, testid: string): HTMLElement[] {
  if (value === null || value === "") return [];
  return [h("dt", {}, label), h("dd", { "data-testid": testid }, value)];
}

function facts(d: CatalogDetailsView): HTMLElement {
  const registry = d.registryKnown ? d.registry : `${d.registry} (not one of your registries)`;
  return h(
    "dl",
    { class: "facts" },
    fact("Name", h("span", { class: "mono" }, d.name), "catalog-name"),
    fact("Version", d.versions.length > 1 ? `${d.version} (of ${d.versions.join(", ")})` : d.version, "catalog-version"),
    fact("Publisher", d.publisher, "catalog-publisher"),
    fact("Repository", d.repository, "catalog-repository"),
    fact("Website", d.website, "catalog-website"),
    fact("Status", d.status, "catalog-status"),
    fact("Registry", registry, "catalog-registry"),
    fact(
      "Runs as",
      h(
        "ul",
        { class: "offers" },
        d.offers.map((o) =>
          h("li", { "data-testid": "catalog-offer", "data-runs": o.runs }, `${o.runs} ${o.target} over ${o.transport}`, o.unsupported ? h("span", { class: "muted" }, ` (not supported: ${o.unsupported})`) : null),
        ),
      ),
      "catalog-offers",
    ),
  );
}

function checksEl(d: CatalogDetailsView): HTMLElement | null {
  if (d.checks.length === 0) return null;
  return h(
    "ul",
    { class: "checks", "data-testid": "catalog-checks" },
    d.checks.map((check) => {
      const verdict = verdictLabel(check.verdict);
      return h(
        "li",
        { "data-testid": "catalog-check", "data-verdict": check.verdict, role: check.verdict === "mismatch" ? "alert" : undefined },
        h("span", { class: `badge ${verdict.tone}` }, verdict.label),
        ` ${check.subject}: ${check.detail}`,
      );
    }),
  );
}

function planEl(d: CatalogDetailsView, props: CatalogProps): HTMLElement {
  const plan = d.plan!;
  const verb = plan.remote ? "Connects to" : "Runs";
  const needs = plan.questions.length
    ? h(
        "ul",
        { class: "needs", "data-testid": "catalog-needs" },
        plan.questions.map((q) =>
          h(
            "li",
            { "data-key": q.key },
            q.label,
            h("span", { class: "muted" }, ` (${[q.mustAsk ? "required" : "optional", q.secret ? "secret, kept in the keychain" : null].filter(Boolean).join(", ")})`),
            q.description ? h("span", { class: "muted" }, `: ${q.description}`) : null,
          ),
        ),
      )
    : h("p", { class: "muted" }, "It needs nothing from you.");
  const update = plan.updateSaid ? h("span", { "data-testid": "catalog-update-said" }, ` ${plan.updateSaid}`) : null;
  return h(
    "div",
    { class: "plan" },
    h("p", {}, `${verb}: `, h("code", { "data-testid": "catalog-preview" }, plan.preview)),
    h("h3", {}, "What it needs"),
    needs,
    props.add
      ? addEl(d, props.add, props)
      : h("p", {}, h("button", { class: "primary", "data-testid": "catalog-add", onclick: () => props.onStartAdd() }, plan.updates ? "Update…" : "Add…"), update),
  );
}

function addEl(d: CatalogDetailsView, add: AddFlow, props: CatalogProps): HTMLElement {
  if (add.stage === "confirm") return confirmEl(add, props);
  const questions = d.plan!.questions;
  const id = h("input", { id: "catalog-id", type: "text", value: add.id, "data-testid": "catalog-id", oninput: (e: Event) => props.onId((e.target as HTMLInputElement).value) });
  return h(
    "form",
    {
      class: "catalog-add",
      "data-testid": "catalog-inputs",
      onsubmit: (e: Event) => {
        e.preventDefault();
        props.onReview();
      },
    },
    choiceField(d, props),
    h("label", { for: "catalog-id" }, "Source id"),
    id,
    questions.map((q) => questionField(q, add, props)),
    add.error ? errorBanner(add.error, "catalog-add-error") : null,
    h(
      "div",
      { class: "inline" },
      h("button", { type: "submit", class: "primary", "data-testid": "catalog-review", disabled: add.checking }, add.checking ? "Checking…" : "Continue"),
      h("button", { type: "button", "data-testid": "catalog-cancel", onclick: () => props.onCancelAdd() }, "Cancel"),
    ),
  );
}

/** Which package or remote to add, when the entry offers several Lanyard can run. */
function choiceField(d: CatalogDetailsView, props: CatalogProps): HTMLElement | null {
  const offers = runnableOffers(d.offers);
  if (offers.length < 2 || !d.plan) return null;
  const current = choiceKey(d.plan.choice);
  const select = h(
    "select",
    {
      id: "catalog-choice",
      "data-testid": "catalog-choice",
      onchange: (e: Event) => {
        const chosen = offers.find((o) => choiceKey(o.choice) === (e.target as HTMLSelectElement).value);
        if (chosen && choiceKey(chosen.choice) !== current) props.onChoose(chosen.choice);
      },
    },
    offers.map((o) => {
      const option = h("option", { value: choiceKey(o.choice) }, `${o.runs} ${o.target} over ${o.transport}`);
      option.selected = choiceKey(o.choice) === current;
      return option;
    }),
  );
  return h("div", { class: "field" }, h("label", { for: "catalog-choice" }, "Runs as"), select);
}

function questionField(q: CatalogQuestionView, add: Extract<AddFlow, { stage: "inputs" }>, props: CatalogProps): HTMLElement {
  const fieldId = `catalog-q-${q.key.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  const onInput = (e: Event) => props.onValue(q.key, (e.target as HTMLInputElement | HTMLSelectElement).value);
  const value = add.values[q.key] ?? "";
  const input =
    q.choices.length > 0 && !q.secret
      ? h(
          "select",
          { id: fieldId, "data-testid": `catalog-input-${q.key}`, "data-key": q.key, onchange: onInput },
          (q.mustAsk ? [] : [""]).concat(q.choices).map((c) => {
            const option = h("option", { value: c }, c || "(none)");
            option.selected = c === value;
            return option;
          }),
        )
      : h("input", {
          id: fieldId,
          type: q.secret ? "password" : "text",
          autocomplete: "off",
          value: q.secret ? undefined : value,
          placeholder: q.placeholder ?? q.default ?? undefined,
          "data-testid": `catalog-input-${q.key}`,
          "data-key": q.key,
          oninput: onInput,
        });
  // A secret field is never re-filled from the state by a re-render's markup; it keeps what
  // the person typed in the element itself.
  if (q.secret && input instanceof HTMLInputElement) input.value = value;
  const error = add.errors[q.key];
  return h(
    "div",
    { class: "field" },
    h("label", { for: fieldId }, q.label, q.mustAsk ? " *" : "", q.secret ? h("span", { class: "muted" }, " (kept in the keychain)") : null),
    input,
    q.description ? h("small", { class: "muted" }, q.description) : null,
    error ? h("small", { class: "error", "data-testid": "catalog-input-error", "data-key": q.key }, error) : null,
  );
}

function confirmEl(add: Extract<AddFlow, { stage: "confirm" }>, props: CatalogProps): HTMLElement {
  const p = add.prepared;
  const verb = p.remote ? "connect to" : "run";
  return h(
    "div",
    { class: "catalog-confirm", "data-testid": "catalog-confirm-step" },
    h("p", {}, p.updates ? `Source ${p.id} (now ${p.updates}) will ${verb}:` : `Source ${p.id} will ${verb}:`),
    h("pre", { class: "mono", "data-testid": "catalog-exact" }, p.shown),
    p.secretsKept ? h("p", { "data-testid": "catalog-secret-names" }, p.secretsKept) : null,
    add.error ? errorBanner(add.error, "catalog-add-error") : null,
    h(
      "div",
      { class: "inline" },
      h("button", { class: "primary", "data-testid": "catalog-confirm", disabled: add.saving, onclick: () => props.onConfirm() }, add.saving ? "Adding…" : p.updates ? "Update source" : "Add source"),
      h("button", { "data-testid": "catalog-cancel", disabled: add.saving, onclick: () => props.onCancelAdd() }, "Cancel"),
    ),
  );
}
