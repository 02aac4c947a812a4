// The app's state and its moves: which view is open, the sources as last loaded, what each Test
// said. Every change re-renders the current view into the root; views are pure renderers.
import * as api from "./api";
import type { NewSource, SourceView, UiError } from "./api";
import type { TestOutcome } from "./lib/badge";
import { detailView } from "./views/source-detail/detail-view";
import { formView } from "./views/source-form/form-view";
import { sourcesView } from "./views/sources/sources-view";

type Route = { view: "list" } | { view: "detail"; id: string } | { view: "add" };

export class App {
  private route: Route = { view: "list" };
  private sources: SourceView[] | null = null;
  private tests = new Map<string, TestOutcome>();
  private error: UiError | undefined;
  private imported: api.ImportView | undefined;
  private confirmingRemove = false;

  constructor(private readonly root: HTMLElement) {}

  async start(): Promise<void> {
    this.render();
    await this.reload();
  }

  private async reload(): Promise<void> {
    try {
      this.sources = await api.listSources();
      this.error = undefined;
    } catch (err) {
      this.error = err as UiError;
      this.sources ??= [];
    }
    this.render();
  }

  private go(route: Route): void {
    this.route = route;
    this.confirmingRemove = false;
    this.render(true);
  }

  private render(moveFocus = false): void {
    const view = this.view();
    this.root.replaceChildren(view);
    if (moveFocus) view.querySelector<HTMLElement>("h1")?.focus();
  }

  private view(): HTMLElement {
    const route = this.route;
    if (route.view === "add") {
      return formView({
        onSubmit: (source) => this.add(source),
        onCancel: () => this.go({ view: "list" }),
      });
    }
    if (route.view === "detail") {
      const source = this.sources?.find((s) => s.id === route.id);
      if (source) {
        return detailView({
          source,
          test: this.tests.get(source.id),
          confirmingRemove: this.confirmingRemove,
          onBack: () => this.go({ view: "list" }),
          onTest: () => void this.test(source.id),
          onToggle: () => void this.setEnabled(source.id, !source.enabled),
          onRemove: () => void this.remove(source.id),
        });
      }
      this.route = { view: "list" };
    }
    return sourcesView({
      sources: this.sources,
      tests: this.tests,
      error: this.error,
      imported: this.imported,
      onOpen: (id) => this.go({ view: "detail", id }),
      onAdd: () => this.go({ view: "add" }),
      onImport: (path) => void this.importFrom(path),
      onMainAction: (source) => {
        switch (source.state.kind) {
          case "disabled":
            return void this.setEnabled(source.id, true);
          case "ready":
          case "connected":
          case "expiring":
            this.go({ view: "detail", id: source.id });
            return void this.test(source.id);
          default:
            return this.go({ view: "detail", id: source.id });
        }
      },
    });
  }

  private async add(source: NewSource): Promise<UiError | undefined> {
    try {
      await api.addSource(source);
    } catch (err) {
      return err as UiError;
    }
    this.imported = undefined;
    this.route = { view: "list" };
    await this.reload();
    this.root.querySelector<HTMLElement>("h1")?.focus();
    return undefined;
  }

  private async test(id: string): Promise<void> {
    this.tests.set(id, { kind: "running" });
    this.render();
    try {
      const tools = await api.listTools(id);
      this.tests.set(id, { kind: "ok", tools, at: new Date() });
    } catch (err) {
      this.tests.set(id, { kind: "failed", error: err as UiError, at: new Date() });
    }
    this.render();
  }

  private async setEnabled(id: string, enabled: boolean): Promise<void> {
    try {
      await api.setEnabled(id, enabled);
      this.tests.delete(id);
    } catch (err) {
      this.error = err as UiError;
    }
    await this.reload();
  }

  private async remove(id: string): Promise<void> {
    if (!this.confirmingRemove) {
      this.confirmingRemove = true;
      this.render();
      return;
    }
    try {
      await api.removeSource(id);
      this.tests.delete(id);
      this.route = { view: "list" };
    } catch (err) {
      this.error = err as UiError;
    }
    this.confirmingRemove = false;
    await this.reload();
    this.root.querySelector<HTMLElement>("h1")?.focus();
  }

  private async importFrom(path: string): Promise<void> {
    try {
      this.imported = await api.importConfig(path);
      this.error = undefined;
    } catch (err) {
      this.imported = undefined;
      this.error = err as UiError;
    }
    await this.reload();
  }
}
