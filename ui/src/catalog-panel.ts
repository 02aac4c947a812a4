// The Catalogue view's state and moves, apart from the App's so that each stays small: the last
// search, the open entry's details, and an add under way (its typed values, secrets included,
// live here only until the add is saved or cancelled; they go inward to the engine, which keeps
// secrets in the keychain, and nothing sends them back). A `lanyard://` link first shows only what
// it says; the entry is looked up (the only request it leads to) once the person says yes, then
// its details open as a search result's do.
import * as api from "./api";
import type { CatalogAddedView, CatalogChoice, CatalogHitView, LinkView, UiError } from "./api";
import { answersOf, initialValues, inputErrors } from "./lib/catalog";
import { nowSecs } from "./lib/countdown";
import { catalogView, type AddFlow, type DetailsState, type SearchState } from "./views/catalog/catalog-view";

export class CatalogPanel {
  private words = "";
  private search: SearchState = { kind: "idle" };
  private details: DetailsState | undefined;
  private fromLink = false;
  private linkError: string | undefined;
  private add: AddFlow | undefined;

  /** `render` re-draws the app; `added` is told of each source added or updated. */
  constructor(
    private readonly render: () => void,
    private readonly added: (added: CatalogAddedView) => void,
  ) {}

  /** Opening the view from the navigation: the last search stays, a half-done add does not. */
  open(): void {
    this.add = undefined;
    this.linkError = undefined;
    if (this.search.kind === "idle") void this.runSearch("");
  }

  /** A `lanyard://` link, read by the engine: what it says, to be looked up on a yes, or why it
   *  cannot be used. Nothing is fetched here. */
  openLink(link: LinkView): void {
    this.add = undefined;
    if (link.kind === "invalid") {
      this.details = undefined;
      this.linkError = link.message;
      this.render();
      return;
    }
    this.linkError = undefined;
    this.fromLink = true;
    this.details = { kind: "link", link: link.link, registryConfigured: link.registryConfigured };
    this.render();
  }

  /** An entry's details, as for an Update button of the sources list; `choice` picks the package
   *  or remote its plan runs. */
  async openEntry(registry: string | null, name: string, version: string | null, fromLink = false, choice: CatalogChoice | null = null): Promise<void> {
    this.add = undefined;
    this.fromLink = fromLink;
    this.details = { kind: "loading", name };
    this.render();
    try {
      this.details = { kind: "ready", details: await api.catalogDetails(registry, name, version, choice) };
    } catch (err) {
      this.details = { kind: "failed", error: err as UiError };
    }
    this.render();
  }

  /** Another package or remote of the open entry: its plan asks other questions, so the add
   *  starts again from them, keeping the id typed. */
  private async choose(choice: CatalogChoice): Promise<void> {
    const details = this.ready();
    if (!details || this.add?.stage !== "inputs") return;
    const id = this.add.id;
    await this.openEntry(details.registry, details.name, details.version, this.fromLink, choice);
    this.startAdd();
    if (this.add) {
      this.add.id = id;
      this.render();
    }
  }

  view(onBack: () => void): HTMLElement {
    return catalogView({
      words: this.words,
      search: this.search,
      details: this.details,
      fromLink: this.fromLink,
      linkError: this.linkError,
      add: this.add,
      now: nowSecs(),
      onBack: () => {
        // Typed values, secrets included, are not kept once the person leaves.
        this.add = undefined;
        onBack();
      },
      onSearch: (words) => void this.runSearch(words),
      onWords: (words) => (this.words = words),
      onOpen: (hit: CatalogHitView) => void this.openEntry(hit.registry, hit.name, hit.version),
      onCloseDetails: () => {
        this.details = undefined;
        this.add = undefined;
        this.fromLink = false;
        this.render();
      },
      onLookUp: () => {
        if (this.details?.kind !== "link") return;
        const { registry, name, version } = this.details.link;
        void this.openEntry(registry, name, version, true);
      },
      onStartAdd: () => this.startAdd(),
      onChoose: (choice) => void this.choose(choice),
      onValue: (key, value) => {
        if (this.add?.stage === "inputs") this.add.values[key] = value;
      },
      onId: (id) => {
        if (this.add) this.add.id = id;
      },
      onReview: () => void this.review(),
      onConfirm: () => void this.confirm(),
      onCancelAdd: () => {
        this.add = undefined;
        this.render();
      },
    });
  }

  private async runSearch(words: string): Promise<void> {
    this.words = words;
    this.details = undefined;
    this.search = { kind: "loading" };
    this.render();
    try {
      this.search = { kind: "ready", view: await api.catalogSearch(words) };
    } catch (err) {
      this.search = { kind: "failed", error: err as UiError };
    }
    this.render();
  }

  private ready() {
    return this.details?.kind === "ready" ? this.details.details : undefined;
  }

  private startAdd(): void {
    const plan = this.ready()?.plan;
    if (!plan) return;
    this.add = { stage: "inputs", id: plan.id, values: initialValues(plan.questions), errors: {}, checking: false };
    this.render();
  }

  /** The inputs checked here, then by the engine, which answers with exactly what it would save. */
  private async review(): Promise<void> {
    const details = this.ready();
    const add = this.add;
    if (!details?.plan || add?.stage !== "inputs" || add.checking) return;
    add.errors = inputErrors(details.plan.questions, add.values);
    add.error = undefined;
    if (Object.keys(add.errors).length > 0) return this.render();
    add.checking = true;
    this.render();
    try {
      const prepared = await api.catalogPrepare(this.request(add.id, add.values));
      this.add = { stage: "confirm", id: add.id, values: add.values, prepared, saving: false };
    } catch (err) {
      add.checking = false;
      add.error = err as UiError;
    }
    this.render();
  }

  /** The person said yes: the add, then the typed values are forgotten. */
  private async confirm(): Promise<void> {
    const add = this.add;
    if (add?.stage !== "confirm" || add.saving) return;
    add.saving = true;
    add.error = undefined;
    this.render();
    try {
      const added = await api.catalogAdd(this.request(add.id, add.values));
      this.add = undefined;
      this.details = undefined;
      this.fromLink = false;
      this.added(added);
    } catch (err) {
      add.saving = false;
      add.error = err as UiError;
      this.render();
    }
  }

  private request(id: string, values: Record<string, string>) {
    const details = this.ready()!;
    return {
      registry: details.registry,
      name: details.name,
      version: details.version,
      id: id.trim(),
      choice: details.plan?.choice ?? null,
      answers: answersOf(details.plan?.questions ?? [], values),
      // A program a web page's link asked for waits for the person's approval once added.
      fromLink: this.fromLink,
    };
  }
}
