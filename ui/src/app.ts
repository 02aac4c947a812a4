// The app's state and its moves: which view is open, the sources as last loaded, what each Test
// said, where each sign-in stands. Every change re-renders the current view into the root; views
// are pure renderers. Status is re-read after each move, when the shell says a source changed,
// when the window comes back into view, and on a modest schedule (`lib/schedule.ts`); between
// reads the countdowns tick on their own, with no call to the shell. The bridge panel keeps its
// own state and moves (`bridge-panel.ts`), and so does the Clients view (`clients-panel.ts`).
import * as api from "./api";
import type { NewSource, SourceView, UiError } from "./api";
import { AgentsPanel } from "./agents-panel";
import { BridgePanel } from "./bridge-panel";
import { CatalogPanel } from "./catalog-panel";
import { ClientsPanel } from "./clients-panel";
import { ElicitationPanel } from "./elicitation-panel";
import { tickCountdowns } from "./components/countdown";
import { isBusy, mainActionFor, type SignInProgress, type TestOutcome } from "./lib/badge";
import { nowSecs } from "./lib/countdown";
import { disconnected } from "./lib/disconnected";
import { healthOf } from "./lib/health";
import { nextReadIn } from "./lib/schedule";
import { newlyNeedingSignIn } from "./lib/sign-in-alerts";
import { draftFrom, type Draft } from "./lib/validate";
import { aliasErrors, draftsFrom, toChoices, type ToolEditor } from "./lib/tool-filters";
import { detailView } from "./views/source-detail/detail-view";
import { argumentsOf, newRun, type ToolRun } from "./views/source-detail/tool-runner";
import { formView } from "./views/source-form/form-view";
import { sourcesView } from "./views/sources/sources-view";

type Route =
  | { view: "list" }
  | { view: "detail"; id: string }
  | { view: "add" }
  | { view: "edit"; id: string; draft: Draft }
  | { view: "bridge" }
  | { view: "clients" }
  | { view: "catalog" }
  | { view: "agents" };

export class App {
  private route: Route = { view: "list" };
  private sources: SourceView[] | null = null;
  private tests = new Map<string, TestOutcome>();
  private signIns = new Map<string, SignInProgress>();
  private toolEditors = new Map<string, ToolEditor>();
  /** The tool each source's detail is trying, per source. */
  private runs = new Map<string, ToolRun>();
  /** Sources this window is signing out itself: their change is no news to notify. */
  private signingOut = new Set<string>();
  private startAtLogin: boolean | null = null;
  /** The open source's activity log, newest first, as last read. */
  private activity = new Map<string, api.LogEntryView[]>();
  private error: UiError | undefined;
  private notice: string | undefined;
  private imported: api.ImportView | undefined;
  private confirmingRemove = false;
  private nextRead: ReturnType<typeof setTimeout> | undefined;
  /** What the tray icon was last told. */
  private health: api.HealthView | undefined;
  // The form owns its draft while open; a change of the hub must not wipe what is typed.
  private readonly bridge = new BridgePanel(() => {
    if (!this.inForm()) this.render();
  });

  private readonly clients = new ClientsPanel(
    () => {
      if (!this.inForm()) this.render();
    },
    () => void this.reload(),
  );

  private readonly catalog = new CatalogPanel(
    () => {
      if (this.route.view === "catalog") this.render();
    },
    (added) => void this.catalogAdded(added),
  );
  /** Sources whose registry entry has a newer version, as last read. */
  private outdated: api.CatalogOutdatedSource[] = [];
  // Its editor's draft lives in the panel; only a background read waits while it is open.
  private readonly agents = new AgentsPanel(() => this.render());

  // A server's questions during a tried tool, shown over any view; typed values live in it.
  private readonly elicitations = new ElicitationPanel(() => this.render());

  constructor(private readonly root: HTMLElement) {}

  async start(): Promise<void> {
    this.render();
    await this.listen();
    void this.bridge.readHub();
    void this.readStartAtLogin();
    setInterval(() => tickCountdowns(this.root, nowSecs()), 1000);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") void this.reload();
    });
    await this.reload();
    void this.readOutdated();
    void this.readOpeningLink();
  }

  /** The sources from a registry with a newer version there; a registry out of reach says
   *  nothing here (the Catalogue view shows why). */
  private async readOutdated(): Promise<void> {
    try {
      this.outdated = (await api.catalogOutdated()).sources;
      if (this.route.view === "list") this.render();
    } catch {
      this.outdated = [];
    }
  }

  /** A `lanyard://` link the app was started or woken with: the Catalogue shows what it would add. */
  private async readOpeningLink(): Promise<void> {
    try {
      const url = (await api.openingLinks())?.[0];
      if (url) await this.openLink(url);
    } catch {
      // No deep-link support on this desktop: nothing was opened by a link.
    }
  }

  private async openLink(url: string): Promise<void> {
    try {
      const link = await api.catalogLink(url);
      this.go({ view: "catalog" });
      this.catalog.openLink(link);
    } catch (err) {
      this.error = err as UiError;
      this.render();
    }
  }

  /** A source added from the Catalogue: the list with it, and the updates read again. */
  private async catalogAdded(added: api.CatalogAddedView): Promise<void> {
    this.tests.delete(added.id);
    this.route = { view: "list" };
    const verb = added.updated ? "Updated" : "Added";
    this.notice = added.waitingForApproval
      ? `${verb} source ${added.id}. A link asked for it, so it waits for your approval: nothing runs until you check its command and approve it.`
      : added.auth === "oauth"
        ? `${verb} source ${added.id}. It needs a sign-in: click Connect.`
        : `${verb} source ${added.id}.`;
    await this.reload();
    this.root.querySelector<HTMLElement>("h1")?.focus();
    void this.readOutdated();
  }

  /** The shell's events: a sign-in's URL while the browser has it, and "status changed". */
  private async listen(): Promise<void> {
    try {
      await api.onEvent("signInWaiting", ({ id, url }) => {
        if (this.signIns.get(id)?.kind !== "starting") return;
        this.signIns.set(id, { kind: "waiting", url });
        this.render();
      });
      // A change this window made itself is re-read when its command returns; reading once
      // is enough (each read touches the keychain).
      await api.onEvent("sourcesChanged", ({ id }) => {
        if (!isBusy(this.signIns.get(id))) void this.reload();
      });
      await api.onEvent("hubChanged", (hub) => this.bridge.setHub(hub));
      await api.onEvent("elicitationAsked", (asked) => this.elicitations.ask(asked));
      await api.onDeepLink((urls) => urls[0] && void this.openLink(urls[0]));
    } catch (err) {
      // Without events the app still works: every move re-reads status itself.
      this.error = api.toUiError(err);
    }
  }

  private async reload(): Promise<void> {
    clearTimeout(this.nextRead);
    try {
      const before = this.sources;
      this.sources = await api.listSources();
      this.error = undefined;
      this.notifySignInNeeded(newlyNeedingSignIn(before, this.sources, this.signingOut));
      this.signingOut.clear();
    } catch (err) {
      this.error = err as UiError;
      this.sources ??= [];
    }
    this.nextRead = setTimeout(() => void this.reload(), nextReadIn(this.sources, nowSecs()) * 1000);
    if (this.route.view === "detail") await this.readActivity(this.route.id);
    this.showHealth();
    // The form owns its draft while open; a background read must not wipe what is typed.
    if (!this.inForm()) this.render();
  }

  private inForm(): boolean {
    return this.route.view === "add" || this.route.view === "edit" || (this.route.view === "agents" && this.agents.editing);
  }

  /** Opens a source's detail with its activity log read first, so the view renders once. */
  private async openDetail(id: string): Promise<void> {
    await this.readActivity(id);
    this.go({ view: "detail", id });
  }

  /** The open source's activity log (a local file read; no keychain, no network). */
  private async readActivity(id: string): Promise<void> {
    try {
      this.activity.set(id, await api.sourceActivity(id));
    } catch {
      // The log is best effort in the engine too; the detail view works without it.
    }
  }

  /** A desktop notification, once per source that turned to needing a sign-in. */
  private notifySignInNeeded(names: string[]): void {
    // Without a notification service the window says the same in its badges.
    if (names.length > 0) api.notifySignInNeeded(names).catch(() => {});
  }

  private async readStartAtLogin(): Promise<void> {
    try {
      this.startAtLogin = await api.startAtLogin();
    } catch {
      // A desktop that cannot say offers no setting.
      this.startAtLogin = null;
    }
    if (!this.inForm()) this.render();
  }

  private async setStartAtLogin(enabled: boolean): Promise<void> {
    try {
      this.startAtLogin = await api.setStartAtLogin(enabled);
    } catch (err) {
      this.error = err as UiError;
    }
    this.render();
  }

  /** The tray icon follows the worst state among the sources, when it changed. */
  private showHealth(): void {
    const health = healthOf(this.sources ?? [], this.tests, this.signIns);
    if (health === this.health) return;
    this.health = health;
    // Without a tray (or a shell) the window works the same.
    api.setHealth(health).catch(() => (this.health = undefined));
  }

  private go(route: Route): void {
    if (this.route.view === "bridge") this.bridge.close();
    if (this.route.view === "agents") this.agents.close();
    this.route = route;
    if (route.view === "bridge") void this.bridge.open();
    if (route.view === "clients") void this.clients.open();
    if (route.view === "catalog") this.catalog.open();
    if (route.view === "agents") void this.agents.open();
    this.confirmingRemove = false;
    this.notice = undefined;
    this.render(true);
  }

  /** Re-renders the current view. Focus stays on the same control (of the same row) when it
   *  still exists. */
  private render(moveFocus = false): void {
    const focused = focusPath(document.activeElement);
    const view = this.view();
    const nameOf = (id: string) => this.sources?.find((s) => s.id === id)?.name ?? id;
    const dialog = this.elicitations.view(nameOf);
    this.root.replaceChildren(...(dialog ? [view, dialog] : [view]));
    if (moveFocus) view.querySelector<HTMLElement>("h1")?.focus();
    else if (focused) this.root.querySelector<HTMLElement>(focused)?.focus();
  }

  private view(): HTMLElement {
    const route = this.route;
    if (route.view === "bridge") return this.bridge.view(this.sources, () => this.go({ view: "list" }));
    if (route.view === "agents") return this.agents.view(() => this.go({ view: "list" }));
    if (route.view === "clients") {
      const enabled = (this.sources ?? []).filter((s) => s.enabled).length;
      return this.clients.view(enabled, () => this.go({ view: "list" }));
    }
    if (route.view === "catalog") return this.catalog.view(() => this.go({ view: "list" }));
    if (route.view === "add") {
      return formView({
        onSubmit: (source) => this.add(source),
        onCancel: () => this.go({ view: "list" }),
      });
    }
    if (route.view === "edit") {
      return formView({
        initial: route.draft,
        editing: true,
        onSubmit: (source) => this.saveEdit(source),
        onCancel: () => this.go({ view: "detail", id: route.id }),
      });
    }
    if (route.view === "detail") {
      const source = this.sources?.find((s) => s.id === route.id);
      if (source) {
        return detailView({
          source,
          test: this.tests.get(source.id),
          signIn: this.signIns.get(source.id),
          now: nowSecs(),
          notice: this.notice,
          confirmingRemove: this.confirmingRemove,
          onBack: () => this.go({ view: "list" }),
          onTest: () => void this.test(source.id),
          onSignIn: () => void this.signIn(source.id),
          onDisconnect: () => void this.disconnect(source.id),
          onCancelSignIn: () => void api.cancelSignIn(source.id).catch((err) => (this.error = err as UiError)),
          onToggle: () => void this.setEnabled(source.id, !source.enabled),
          onRemove: () => void this.remove(source.id),
          onEdit: () => void this.openEdit(source.id),
          toolEditor: this.toolEditors.get(source.id),
          activity: this.activity.get(source.id),
          onEditTools: () => void this.editTools(source.id),
          onSaveTools: () => void this.saveTools(source.id),
          onCancelTools: () => {
            this.toolEditors.delete(source.id);
            this.render();
          },
          run: this.runs.get(source.id),
          onRun: () => void this.runTool(source.id),
          onReviewTools: (tool, verdict) => void this.reviewTools(source.id, tool, verdict),
        });
      }
      this.route = { view: "list" };
    }
    return sourcesView({
      sources: this.sources,
      tests: this.tests,
      signIns: this.signIns,
      now: nowSecs(),
      error: this.error,
      notice: this.notice,
      imported: this.imported,
      hub: this.bridge.hubState,
      onBridge: () => this.go({ view: "bridge" }),
      onClients: () => this.go({ view: "clients" }),
      onCatalog: () => this.go({ view: "catalog" }),
      outdated: this.outdated,
      onUpdate: (row) => {
        this.go({ view: "catalog" });
        void this.catalog.openEntry(row.registry, row.name, row.latest);
      },
      onAgents: () => this.go({ view: "agents" }),
      startAtLogin: this.startAtLogin,
      onStartAtLogin: (enabled) => void this.setStartAtLogin(enabled),
      onOpen: (id) => void this.openDetail(id),
      onAdd: () => this.go({ view: "add" }),
      onImport: (path) => void this.importFrom(path),
      onMainAction: (source) => {
        const action = mainActionFor(source, this.tests.get(source.id), this.signIns.get(source.id));
        switch (action.kind) {
          case "enable":
            return void this.setEnabled(source.id, true);
          case "test":
            this.go({ view: "detail", id: source.id });
            return void this.test(source.id);
          case "connect":
          case "reconnect":
            return void this.signIn(source.id);
          case "disconnect":
            return void this.disconnect(source.id);
          case "busy":
            return;
          case "details":
            return void this.openDetail(source.id);
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

  /** Opens the edit form on the source's saved settings (secrets only as set / not set). */
  private async openEdit(id: string): Promise<void> {
    try {
      const draft = draftFrom(await api.sourceSettings(id));
      this.go({ view: "edit", id, draft });
    } catch (err) {
      this.error = err as UiError;
      this.tests.set(id, { kind: "failed", error: err as UiError, at: new Date() });
      this.render();
    }
  }

  private async saveEdit(source: NewSource): Promise<UiError | undefined> {
    try {
      await api.editSource(source);
    } catch (err) {
      return err as UiError;
    }
    // What a Test found describes the old settings.
    this.tests.delete(source.id);
    this.toolEditors.delete(source.id);
    this.runs.delete(source.id);
    this.route = { view: "detail", id: source.id };
    this.notice = "Saved. Agents that connect from now on use these settings.";
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
      const run = this.runs.get(id);
      if (!run || !tools.some((tool) => tool.name === run.tool)) this.runs.set(id, newRun(tools));
    } catch (err) {
      this.tests.set(id, { kind: "failed", error: err as UiError, at: new Date() });
    }
    // A Test may have refreshed the tokens, or found the sign-in gone: read status again.
    await this.reload();
  }

  /** Runs the chosen tool with the typed arguments; the server's questions meanwhile open the
   *  elicitation dialog. */
  private async runTool(id: string): Promise<void> {
    const run = this.runs.get(id);
    if (!run || run.state.kind === "running") return;
    const args = argumentsOf(run.args);
    if (typeof args === "string") {
      run.argsError = args;
      this.render();
      return;
    }
    run.argsError = undefined;
    run.state = { kind: "running" };
    this.render();
    try {
      run.state = { kind: "done", result: await api.callTool(id, run.tool, args) };
    } catch (err) {
      run.state = { kind: "failed", error: err as UiError };
    }
    // A call may have refreshed the tokens, or found the sign-in gone: read status again.
    await this.reload();
  }

  /** Opens the tool editor: the server's tools before the filter, listed through the engine. */
  private async editTools(id: string): Promise<void> {
    this.toolEditors.set(id, { kind: "loading" });
    this.render();
    try {
      const drafts = draftsFrom(await api.toolChoices(id));
      this.toolEditors.set(id, { kind: "editing", drafts, saving: false });
    } catch (err) {
      this.toolEditors.set(id, { kind: "failed", error: err as UiError });
    }
    // Listing may have renewed the tokens or found the sign-in gone.
    await this.reload();
  }

  /** Saves the tool filter into the profile, then lists the tools again as agents see them. */
  private async saveTools(id: string): Promise<void> {
    const editor = this.toolEditors.get(id);
    if (editor?.kind !== "editing" || Object.keys(aliasErrors(editor.drafts)).length > 0) return;
    editor.saving = true;
    editor.error = undefined;
    this.render();
    try {
      await api.setToolChoices(id, toChoices(editor.drafts));
    } catch (err) {
      editor.saving = false;
      editor.error = err as UiError;
      this.render();
      return;
    }
    this.toolEditors.delete(id);
    this.notice = "Tool filters saved. Agents that connect from now on see these tools.";
    await this.test(id);
  }

  /** Connect and Reconnect: the browser sign-in, through the engine. */
  private async signIn(id: string): Promise<void> {
    this.signIns.set(id, { kind: "starting" });
    this.notice = undefined;
    this.render();
    try {
      const tokens = await api.signIn(id);
      this.signIns.delete(id);
      this.tests.delete(id);
      const who = tokens.account ? ` as ${tokens.account}` : "";
      this.notice = `Signed in${who}.`;
    } catch (err) {
      if ((err as UiError).kind === "Cancelled") {
        this.signIns.delete(id);
        this.notice = "Sign-in cancelled.";
      } else {
        this.signIns.set(id, { kind: "failed", error: err as UiError, at: new Date() });
      }
    }
    await this.reload();
  }

  private async disconnect(id: string): Promise<void> {
    this.signIns.set(id, { kind: "disconnecting" });
    this.signingOut.add(id);
    this.render();
    try {
      this.notice = disconnected(await api.disconnect(id));
      this.signIns.delete(id);
      this.tests.delete(id);
    } catch (err) {
      this.signIns.delete(id);
      this.error = err as UiError;
    }
    await this.reload();
  }

  private async reviewTools(id: string, tool?: string, verdict?: api.Verdict): Promise<void> {
    try {
      await api.approveToolChanges(id, tool, verdict);
    } catch (err) {
      this.error = err as UiError;
    }
    await this.reload();
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
      this.notice = await api.removeSource(id);
      this.tests.delete(id);
      this.signIns.delete(id);
      this.toolEditors.delete(id);
      this.runs.delete(id);
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

/** A selector for the focused control: its test id, inside its row's when it has one. */
function focusPath(el: Element | null): string | undefined {
  const id = el instanceof HTMLElement ? el.dataset.testid : undefined;
  if (!id) return undefined;
  const row = el?.closest<HTMLElement>("[data-testid^='source-row-'], [data-testid^='client-row-']")?.dataset.testid;
  return row && row !== id ? `[data-testid="${row}"] [data-testid="${id}"]` : `[data-testid="${id}"]`;
}
