// The bridge panel: whether the HTTP bridge this app hosts runs and where (merged at /mcp, one
// source at /mcp/<id>), the bridge token (hidden until Reveal; the only secret this window ever
// shows, and only on that click), and the config each IDE needs, to copy or to write into the
// IDE's own file. Renders from the state it is given; `bridge-panel.ts` owns the state.
import type { HubView, IdeClientView, IdeConfigView, SourceView, AgentsView } from "../../api";
import { errorBanner } from "../../components/error-banner";
import {
  CLIENTS,
  clientLabel,
  cliMissingLine,
  hubSummary,
  mergedUrl,
  servedSources,
  sourceUrl,
  type ConfigState,
  type CopyOutcome,
  type TokenReveal,
  type WriteState,
} from "../../lib/bridge";
import { agentsList } from "../../components/agents-list";
import { h } from "../../lib/dom";

export interface BridgeProps {
  /** `null` until the shell first answers. */
  hub: HubView | null;
  sources: SourceView[] | null;
  token: TokenReveal;
  client: IdeClientView;
  config: ConfigState;
  write?: WriteState;
  copied?: CopyOutcome;
  onBack(): void;
  onReveal(): void;
  onHide(): void;
  onCopy(what: CopyOutcome["what"], text: string): void;
  onPickClient(client: IdeClientView): void;
  onWrite(): void;
  /** The agents the hub served recently; `null` until read. */
  agents: AgentsView | null;
  onRefreshAgents(): void;
}

export function bridgeView(props: BridgeProps): HTMLElement {
  return h(
    "section",
    {
      class: "view",
      "data-testid": "bridge-view",
      "aria-labelledby": "bridge-title",
      onkeydown: (e: Event) => {
        if ((e as KeyboardEvent).key === "Escape") props.onBack();
      },
    },
    h(
      "header",
      { class: "bar" },
      h("button", { class: "link", "data-testid": "back", onclick: () => props.onBack() }, "← Sources"),
      h("h1", { id: "bridge-title", tabindex: "-1" }, "Bridge"),
    ),
    hubSection(props),
    props.hub?.kind === "running" ? agentsList(props.agents, () => props.onRefreshAgents()) : null,
    tokenSection(props),
    configSection(props),
  );
}

function hubSection(props: BridgeProps): HTMLElement {
  const summary = hubSummary(props.hub);
  const hub = props.hub;
  return h(
    "div",
    { class: "group", "data-testid": "hub" },
    h(
      "h2",
      {},
      "HTTP bridge ",
      h("span", { class: `badge ${summary.tone}`, "data-testid": "hub-badge", "data-code": summary.code }, summary.label),
    ),
    hub?.kind === "running" ? running(hub.address, props.sources) : null,
    hub?.kind === "failed"
      ? h(
          "div",
          { class: "banner error", role: "alert", "data-testid": "hub-failed" },
          h("p", { "data-testid": "hub-failed-message" }, hub.message),
          summary.advice ? h("p", { class: "muted", "data-testid": "hub-advice" }, summary.advice) : null,
        )
      : null,
  );
}

function running(address: string, sources: SourceView[] | null): HTMLElement {
  const served = servedSources(sources);
  return h(
    "div",
    {},
    h("p", {}, "Agents that speak streamable HTTP reach every enabled source, merged, at:"),
    h("p", { class: "mono url", "data-testid": "hub-address", "data-address": address }, mergedUrl(address)),
    served.length
      ? h(
          "div",
          {},
          h("p", {}, "or one source at a time:"),
          h(
            "ul",
            { class: "urls", "data-testid": "source-urls" },
            served.map((s) =>
              h("li", { "data-testid": "source-url", "data-source": s.id }, h("span", { class: "mono url" }, sourceUrl(address, s.id))),
            ),
          ),
        )
      : h("p", { class: "muted", "data-testid": "no-sources" }, "No enabled sources yet: add one to serve it."),
    h(
      "p",
      { class: "muted" },
      "The ",
      h("code", {}, "lanyard bridge"),
      " processes your IDEs start go through this app while it runs, so each source's tokens are refreshed in one place.",
    ),
  );
}

function tokenSection(props: BridgeProps): HTMLElement {
  const { token } = props;
  const shown = token.kind === "shown";
  return h(
    "div",
    { class: "group", "data-testid": "token" },
    h("h2", {}, "Bridge token"),
    h(
      "p",
      { class: "muted" },
      "Every HTTP request needs it, as ",
      h("code", {}, "Authorization: Bearer <token>"),
      " (or ",
      h("code", {}, "Lanyard-Bridge-Token: <token>"),
      "). IDEs that run ",
      h("code", {}, "lanyard bridge"),
      " need none.",
    ),
    h(
      "div",
      { class: "inline token-row" },
      shown
        ? h("code", { class: "url", "data-testid": "bridge-token" }, token.token)
        : h("code", { class: "muted", "data-testid": "bridge-token-hidden", "aria-label": "hidden" }, "•".repeat(24)),
      shown
        ? h("button", { "data-testid": "hide-token", onclick: () => props.onHide() }, "Hide")
        : h(
            "button",
            { "data-testid": "reveal-token", disabled: token.kind === "revealing", onclick: () => props.onReveal() },
            token.kind === "revealing" ? "Revealing…" : "Reveal",
          ),
      shown ? h("button", { "data-testid": "copy-token", onclick: () => props.onCopy("token", token.token) }, "Copy") : null,
    ),
    copiedLine(props.copied, "token"),
    token.kind === "failed" ? errorBanner(token.error, "token-error") : null,
  );
}

function configSection(props: BridgeProps): HTMLElement {
  return h(
    "div",
    { class: "group", "data-testid": "ide" },
    h("h2", {}, "Config for your IDE"),
    h(
      "div",
      { class: "inline clients", role: "group", "aria-label": "IDE" },
      CLIENTS.map(({ id, label }) =>
        h(
          "button",
          {
            "data-testid": `client-${id}`,
            "aria-pressed": id === props.client ? "true" : "false",
            class: id === props.client ? "primary" : undefined,
            onclick: () => props.onPickClient(id),
          },
          label,
        ),
      ),
    ),
    configBody(props),
  );
}

function configBody(props: BridgeProps): HTMLElement {
  const { config } = props;
  if (config.kind === "loading") return h("p", { class: "muted", "data-testid": "ide-loading" }, "Loading…");
  if (config.kind === "failed") return errorBanner(config.error, "ide-error");
  const c = config.config;
  return h(
    "div",
    { "data-testid": "ide-config", "data-client": c.client },
    cliLine(c),
    c.sources === 0 ? h("p", { class: "hint", "data-testid": "ide-no-sources" }, "No enabled sources yet: the snippet is empty.") : null,
    h("pre", { class: "snippet", "data-testid": "ide-snippet" }, c.snippet),
    h(
      "div",
      { class: "actions" },
      h("button", { "data-testid": "copy-snippet", onclick: () => props.onCopy("snippet", c.snippet) }, "Copy"),
      h(
        "button",
        {
          class: "primary",
          "data-testid": "write-config",
          disabled: c.configPath === null || c.cli.kind === "missing" || props.write?.kind === "writing",
          onclick: () => props.onWrite(),
        },
        props.write?.kind === "writing" ? "Writing…" : "Write to config",
      ),
    ),
    copiedLine(props.copied, "snippet"),
    c.configPath
      ? h("p", { class: "muted", "data-testid": "config-path" }, `Write to config merges these entries into ${c.configPath}, keeping everything else and a backup of the old file.`)
      : h("p", { class: "muted", "data-testid": "config-path" }, `Lanyard has no file of ${clientLabel(c.client)}'s to write here: paste the snippet into its config by hand.`),
    writeOutcome(props.write),
  );
}

function cliLine(c: IdeConfigView): HTMLElement {
  if (c.cli.kind === "found") {
    return h("p", { class: "muted", "data-testid": "cli", "data-cli": "found" }, "Runs ", h("code", {}, c.cli.path), ".");
  }
  return h(
    "div",
    { class: "banner error", role: "alert", "data-testid": "cli", "data-cli": "missing" },
    h("p", {}, cliMissingLine(c.cli.looked)),
    h(
      "p",
      { class: "muted" },
      "The snippet says plain ",
      h("code", {}, "lanyard"),
      ", which works only if the IDE finds it on its PATH. Install the lanyard CLI beside the app or on PATH to write the config.",
    ),
  );
}

function copiedLine(copied: CopyOutcome | undefined, what: CopyOutcome["what"]): HTMLElement | null {
  if (copied?.what !== what) return null;
  return h(
    "p",
    { class: copied.ok ? "muted" : "hint", role: "status", "data-testid": `copied-${what}` },
    copied.ok ? "Copied." : "The clipboard is not available here: select the text and press Ctrl+C.",
  );
}

function writeOutcome(write: WriteState | undefined): HTMLElement | null {
  if (write?.kind === "written") {
    return h(
      "div",
      { class: "notice", role: "status", "data-testid": "write-result" },
      write.written.said.map((line) => h("p", {}, line)),
    );
  }
  if (write?.kind === "failed") return errorBanner(write.error, "write-error");
  return null;
}
