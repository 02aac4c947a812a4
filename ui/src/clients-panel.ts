// The Clients view's state and moves, apart from the App's so that each stays small: the
// clients as last read (on opening the view and after each move, since a move changes a file),
// what each client's last Set up, Import or Undo did, and the agent Set up writes entries for
// (none: the bridge token's plain entries). One move per client at a time.
import * as api from "./api";
import type { UiError } from "./api";
import { importLines, setUpLines, undoneLines, type ClientMove } from "./lib/clients";
import { clientsView, type ClientsState } from "./views/clients/clients-view";

export class ClientsPanel {
  private clients: ClientsState = { kind: "loading" };
  private moves = new Map<string, ClientMove>();
  /** The agents one may set a client up as (besides the built-in default), and the one chosen. */
  private agents: string[] = [];
  private agent: string | null = null;

  /** `render` re-draws the app; `sourcesChanged` re-reads the sources after an Import. */
  constructor(
    private readonly render: () => void,
    private readonly sourcesChanged: () => void,
  ) {}

  /** Opening the view: the clients read afresh, earlier outcomes and the agent chosen forgotten
   *  (Set up writes the plain entries unless an agent is chosen again). */
  async open(): Promise<void> {
    this.moves.clear();
    this.agent = null;
    this.clients = { kind: "loading" };
    await Promise.all([this.read(), this.readAgents()]);
  }

  view(enabledSources: number, onBack: () => void): HTMLElement {
    return clientsView({
      clients: this.clients,
      moves: this.moves,
      enabledSources,
      agents: this.agents,
      agent: this.agent,
      onAgent: (agent) => {
        this.agent = agent;
        this.render();
      },
      onBack,
      onSetUp: (id) => void this.move(id, "setUp", async () => setUpLines(await api.setUpClient(id, this.agent ?? undefined))),
      onImport: (id) =>
        void this.move(id, "import", async () => {
          const taken = await api.importClient(id);
          this.sourcesChanged();
          return importLines(taken);
        }),
      onUndo: (id) => void this.move(id, "undo", async () => undoneLines(await api.undoClient(id))),
    });
  }

  /** The agents of the profile file, for Set up's choice; without them, plain entries only. */
  private async readAgents(): Promise<void> {
    try {
      this.agents = (await api.agentsBoard(Date.now())).agents.filter((a) => !a.builtIn).map((a) => a.name);
    } catch {
      this.agents = [];
    }
    this.render();
  }

  private async read(): Promise<void> {
    try {
      this.clients = { kind: "ready", view: await api.listClients() };
    } catch (err) {
      this.clients = { kind: "failed", error: err as UiError };
    }
    this.render();
  }

  /** One move on one client, then the clients read again: the file it changed says where it stands now. */
  private async move(id: string, action: "setUp" | "import" | "undo", run: () => Promise<string[]>): Promise<void> {
    if (this.moves.get(id)?.kind === "busy") return;
    this.moves.set(id, { kind: "busy", action });
    this.render();
    try {
      this.moves.set(id, { kind: "done", lines: await run() });
    } catch (err) {
      this.moves.set(id, { kind: "failed", error: err as UiError });
    }
    await this.read();
  }
}
