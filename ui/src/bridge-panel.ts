// The bridge panel's state and moves, apart from the App's so that each stays small: the hub's
// lifecycle (read on opening, then pushed by the shell's `hubChanged` event), the token's reveal,
// the chosen IDE's config and what Write to config did. Leaving the panel forgets the revealed
// token, so it is on screen only while the person looks at it.
import * as api from "./api";
import type { AgentsView, HubView, IdeClientView, SourceView, UiError } from "./api";
import type { ConfigState, CopyOutcome, TokenReveal, WriteState } from "./lib/bridge";
import { advice } from "./components/error-banner";
import { copyText } from "./lib/clipboard";
import { bridgeView } from "./views/bridge/bridge-view";

export class BridgePanel {
  private hub: HubView | null = null;
  private token: TokenReveal = { kind: "hidden" };
  private client: IdeClientView = "claudeDesktop";
  private config: ConfigState = { kind: "loading" };
  private write: WriteState | undefined;
  private copied: CopyOutcome | undefined;
  private agents: AgentsView | null = null;

  /** `render` re-draws the app when the panel's state changes. */
  constructor(private readonly render: () => void) {}

  /** The hub's state as last heard, `null` before the shell's first answer. */
  get hubState(): HubView | null {
    return this.hub;
  }

  /** The hub's state, as the shell pushed it. */
  setHub(hub: HubView): void {
    this.hub = hub;
    this.render();
  }

  /** Opening the panel: read where the hub stands and the chosen client's config. */
  async open(): Promise<void> {
    this.write = undefined;
    this.copied = undefined;
    await Promise.all([this.readHub(), this.loadConfig(), this.readAgents()]);
  }

  /** Leaving the panel: the revealed token goes. */
  close(): void {
    this.token = { kind: "hidden" };
    this.copied = undefined;
  }

  view(sources: SourceView[] | null, onBack: () => void): HTMLElement {
    return bridgeView({
      hub: this.hub,
      sources,
      token: this.token,
      client: this.client,
      config: this.config,
      write: this.write,
      copied: this.copied,
      onBack,
      onReveal: () => void this.reveal(),
      onHide: () => {
        this.token = { kind: "hidden" };
        this.copied = undefined;
        this.render();
      },
      onCopy: (what, text) => void this.copy(what, text),
      onPickClient: (client) => {
        this.client = client;
        this.write = undefined;
        this.copied = undefined;
        void this.loadConfig();
      },
      onWrite: () => void this.writeConfig(),
      agents: this.agents,
      onRefreshAgents: () => void this.readAgents(),
    });
  }

  /** The agents the hub served recently (on opening the panel and on Refresh). */
  private async readAgents(): Promise<void> {
    try {
      this.agents = await api.hubAgents();
    } catch {
      this.agents = { recentMinutes: 10, routes: [] };
    }
    this.render();
  }

  /** Asks the shell where the hub stands (at start and on opening the panel). */
  async readHub(): Promise<void> {
    try {
      this.hub = await api.hubStatus();
    } catch (err) {
      const error = err as UiError;
      this.hub = { kind: "failed", reason: { kind: "cannotStart" }, message: error.message, advice: advice(error) ?? "" };
    }
    this.render();
  }

  private async loadConfig(): Promise<void> {
    const client = this.client;
    this.config = { kind: "loading" };
    this.render();
    let next: ConfigState;
    try {
      next = { kind: "ready", config: await api.ideConfig(client) };
    } catch (err) {
      next = { kind: "failed", error: err as UiError };
    }
    // A later pick wins over a slower earlier answer.
    if (client !== this.client) return;
    this.config = next;
    this.render();
  }

  private async reveal(): Promise<void> {
    this.token = { kind: "revealing" };
    this.render();
    try {
      this.token = { kind: "shown", token: await api.revealBridgeToken() };
    } catch (err) {
      this.token = { kind: "failed", error: err as UiError };
    }
    this.render();
  }

  private async copy(what: CopyOutcome["what"], text: string): Promise<void> {
    this.copied = { what, ok: await copyText(text) };
    this.render();
  }

  private async writeConfig(): Promise<void> {
    const client = this.client;
    this.write = { kind: "writing" };
    this.render();
    try {
      this.write = { kind: "written", written: await api.writeIdeConfig(client) };
    } catch (err) {
      this.write = { kind: "failed", error: err as UiError };
    }
    this.render();
  }
}
