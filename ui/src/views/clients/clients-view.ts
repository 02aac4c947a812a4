// The Clients view: the agents and IDEs Lanyard knows that are installed here, each with its own
// config file and where it stands (Not set up, Uses Lanyard, Has N servers Lanyard could manage,
// or a file that does not read), and its Set up, Import and Undo; the clients not found here
// listed below, collapsed. Renders from the state it is given; `clients-panel.ts` owns it.
import type { ClientsView, CliView, McpClientView, UiError } from "../../api";
import { errorBanner } from "../../components/error-banner";
import { cliMissingLine } from "../../lib/bridge";
import { byInstalled, offersFor, stateSummary, type ClientMove, type Offer } from "../../lib/clients";
import { h } from "../../lib/dom";

export type ClientsState = { kind: "loading" } | { kind: "ready"; view: ClientsView } | { kind: "failed"; error: UiError };

export interface ClientsProps {
  clients: ClientsState;
  moves: ReadonlyMap<string, ClientMove>;
  /** How many sources are enabled: Set up writes one entry for each. */
  enabledSources: number;
  /** The agents Set up may write entries for, and the one chosen (`null`: the bridge token's). */
  agents: string[];
  agent: string | null;
  onAgent(agent: string | null): void;
  onBack(): void;
  onSetUp(id: string): void;
  onImport(id: string): void;
  onUndo(id: string): void;
}

export function clientsView(props: ClientsProps): HTMLElement {
  return h(
    "section",
    {
      class: "view",
      "data-testid": "clients-view",
      "aria-labelledby": "clients-title",
      onkeydown: (e: Event) => {
        if ((e as KeyboardEvent).key === "Escape") props.onBack();
      },
    },
    h(
      "header",
      { class: "bar" },
      h("button", { class: "link", "data-testid": "back", onclick: () => props.onBack() }, "← Sources"),
      h("h1", { id: "clients-title", tabindex: "-1" }, "Clients"),
    ),
    h(
      "p",
      { class: "muted" },
      "The agents and IDEs on this computer. Set up adds an entry per enabled source to the client's own file, run as ",
      h("code", {}, "lanyard bridge <source>"),
      ", so no credential lands in it; Import makes the servers it has of its own Lanyard sources; Undo puts its file back as it was before Lanyard's last write.",
    ),
    agentChoice(props),
    body(props),
  );
}

function body(props: ClientsProps): HTMLElement {
  const { clients } = props;
  if (clients.kind === "loading") return h("p", { class: "muted", "data-testid": "clients-loading" }, "Loading…");
  if (clients.kind === "failed") return errorBanner(clients.error, "clients-error");
  const { installed, others } = byInstalled(clients.view.clients);
  const row = (client: McpClientView) => clientRow(client, clients.view.cli, props);
  return h(
    "div",
    {},
    cliLine(clients.view.cli),
    installed.length
      ? h("ul", { class: "clients", "data-testid": "clients-installed" }, installed.map(row))
      : h("p", { class: "muted", "data-testid": "clients-none" }, "None of the clients Lanyard knows was found on this computer."),
    others.length
      ? h(
          "details",
          { class: "group", "data-testid": "clients-others" },
          h("summary", {}, `Not found here (${others.length})`),
          h("ul", { class: "clients" }, others.map(row)),
        )
      : null,
  );
}

/** Which agent Set up writes entries for: the default (plain entries, the bridge token), or an
 *  agent of the Agents view (the sources it may use, each run with `--agent` and its key). */
function agentChoice(props: ClientsProps): HTMLElement | null {
  if (props.agents.length === 0) return null;
  const select = h(
    "select",
    { id: "set-up-as", "data-testid": "set-up-as" },
    h("option", { value: "" }, "default (the bridge token)"),
    props.agents.map((name) => h("option", { value: name }, name)),
  );
  select.value = props.agent ?? "";
  select.addEventListener("change", () => props.onAgent(select.value === "" ? null : select.value));
  return h(
    "p",
    { class: "setting" },
    h("label", { for: "set-up-as" }, "Set up as agent"),
    select,
    props.agent
      ? h("span", { class: "muted", "data-testid": "set-up-as-note" }, ` Entries for the sources ${props.agent} may use, each with its key in the entry's environment.`)
      : null,
  );
}

function cliLine(cli: CliView): HTMLElement | null {
  if (cli.kind === "found") return null;
  return h(
    "div",
    { class: "banner error", role: "alert", "data-testid": "clients-cli-missing" },
    h("p", {}, cliMissingLine(cli.looked)),
    h("p", { class: "muted" }, "The entries Lanyard writes run it: install it beside the app or on PATH to set a client up."),
  );
}

function clientRow(client: McpClientView, cli: CliView, props: ClientsProps): HTMLElement {
  const summary = stateSummary(client.state);
  const move = props.moves.get(client.id);
  const offers = offersFor(client, cli, props.enabledSources, move?.kind === "busy");
  const busyLabel = (action: string, label: string, busy: string) =>
    move?.kind === "busy" && move.action === action ? busy : label;
  return h(
    "li",
    { class: "client-row", "data-testid": `client-row-${client.id}`, "data-state": summary.code },
    h("span", { class: "name" }, client.name),
    h("span", { class: `badge ${summary.tone}`, "data-testid": "client-state", "data-code": summary.code }, summary.label),
    h(
      "div",
      { class: "actions" },
      offers.setUp
        ? button(offers.setUp, "client-set-up", busyLabel("setUp", "Set up", "Setting up…"), () => props.onSetUp(client.id), true)
        : null,
      offers.import
        ? button(offers.import, "client-import", busyLabel("import", "Import", "Importing…"), () => props.onImport(client.id))
        : null,
      offers.undo ? button(offers.undo, "client-undo", busyLabel("undo", "Undo", "Undoing…"), () => props.onUndo(client.id)) : null,
    ),
    client.path ? h("p", { class: "target muted mono", "data-testid": "client-path", title: client.path }, client.path) : null,
    offers.setUp?.why ? h("p", { class: "hint", "data-testid": "client-why" }, offers.setUp.why) : null,
    client.state.kind === "unreadable" ? h("p", { class: "muted", "data-testid": "client-file-error" }, client.state.error) : null,
    outcome(move),
  );
}

function button(offer: Offer, testid: string, label: string, onclick: () => void, primary = false): HTMLElement {
  return h(
    "button",
    {
      class: primary ? "primary" : undefined,
      "data-testid": testid,
      disabled: !offer.enabled,
      title: offer.why ?? undefined,
      onclick,
    },
    label,
  );
}

function outcome(move: ClientMove | undefined): HTMLElement | null {
  if (move?.kind === "done") {
    return h("div", { class: "notice", role: "status", "data-testid": "client-outcome" }, move.lines.map((line) => h("p", {}, line)));
  }
  if (move?.kind === "failed") return errorBanner(move.error, "client-error");
  return null;
}
