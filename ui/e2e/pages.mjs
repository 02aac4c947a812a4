// Page objects: what a person can see and do in each view, by data-testid. The scenario reads as
// steps; selectors live here only.
const tid = (id) => `[data-testid="${id}"]`;

export class SourcesPage {
  constructor(session) {
    this.s = session;
  }
  async open() {
    await this.s.find(tid("sources-view"));
    return this;
  }
  async isEmpty() {
    return (await this.s.findAll(tid("sources-empty"))).length === 1;
  }
  row(id) {
    return tid(`source-row-${id}`);
  }
  /** The badge code of a source's row (`ready`, `disabled`, ...), or null when it is not listed. */
  async badge(id) {
    const rows = await this.s.findAll(`${this.row(id)} ${tid("source-badge")}`);
    return rows.length ? rows[0].attribute("data-code") : null;
  }
  async badgeText(id) {
    return (await this.s.find(`${this.row(id)} ${tid("source-badge")}`)).text();
  }
  /** Whether the row says its tools changed (withheld from agents until approved). */
  async toolsChanged(id) {
    return (await this.s.findAll(`${this.row(id)} ${tid("tools-changed")}`)).length > 0;
  }
  /** The row's main action (`test`, `connect`, `reconnect`, `disconnect`, `busy`, ...). */
  async action(id) {
    return (await this.s.find(`${this.row(id)} ${tid("source-action")}`)).attribute("data-action");
  }
  async clickAction(id) {
    await this.s.click(`${this.row(id)} ${tid("source-action")}`);
  }
  /** The row's expiry countdown text, or null when the row shows none. */
  async expiry(id) {
    const found = await this.s.findAll(`${this.row(id)} ${tid("expiry")}`);
    return found.length ? found[0].text() : null;
  }
  async scopes(id) {
    const found = await this.s.findAll(`${this.row(id)} ${tid("scopes")}`);
    return found.length ? (await found[0].attribute("data-scopes")).split(" ") : null;
  }
  /** Imports the MCP config file at `path` through the list's Import; answers with the result's text. */
  async importFile(path) {
    // A re-render between typing and clicking loses the typed path (or the element): type and
    // click again until the result shows.
    let sentAt = 0;
    return this.s.waitFor("the import's result", async () => {
      const found = await this.s.findAll(tid("import-result"));
      if (found.length) return found[0].text();
      if (Date.now() - sentAt > 3_000) {
        sentAt = Date.now();
        await (await this.s.find(tid("import-path"))).type(path);
        await this.s.click(tid("import-button"));
      }
      return null;
    }, 30_000);
  }
  /** The line under a row waiting for approval (what it would run), or null. */
  async approvalLine(id) {
    const found = await this.s.findAll(`${this.row(id)} ${tid("row-approval")}`);
    return found.length ? found[0].text() : null;
  }
  async add() {
    await this.s.click(tid("add-source"));
    return new FormPage(this.s);
  }
  async openSource(id) {
    await this.s.click(`${this.row(id)} ${tid("source-open")}`);
    return new DetailPage(this.s);
  }
  /** The hub's state on the Bridge button (`starting`, `running`, `port-taken`, `failed`). */
  async hubState() {
    return (await this.s.find(tid("open-bridge"))).attribute("data-hub");
  }
  /** Whether the Start at login box is ticked. */
  async startAtLogin() {
    return (await (await this.s.find(tid("start-at-login"))).property("checked")) === true;
  }
  async toggleStartAtLogin() {
    await this.s.click(tid("start-at-login"));
  }
  async openBridge() {
    await this.s.click(tid("open-bridge"));
    await this.s.find(tid("bridge-view"));
    return new BridgePage(this.s);
  }
  async openClients() {
    await this.s.click(tid("open-clients"));
    await this.s.find(tid("clients-view"));
    return new ClientsPage(this.s);
  }
  async openCatalog() {
    // The list may still be re-rendering from a read at start; a click on a replaced button is
    // lost, so it is clicked again until the view shows.
    await this.s.waitFor("the Catalogue", async () => {
      if ((await this.s.findAll(tid("catalog-view"))).length === 0) await this.s.click(tid("open-catalog"));
      return (await this.s.findAll(tid("catalog-view"))).length === 1;
    });
    return new CatalogPage(this.s);
  }
  /** The row's "Version X is out" line, or null when the source is up to date. */
  async update(id) {
    const found = await this.s.findAll(`${this.row(id)} ${tid("row-update")}`);
    return found.length ? found[0].text() : null;
  }
  async openAgents() {
    await this.s.click(tid("open-agents"));
    await this.s.find(tid("agents-list"));
    return new AgentsPage(this.s);
  }
}

export class CatalogPage {
  constructor(session) {
    this.s = session;
  }
  /** Searches and returns the names of the servers found (failing on an error). */
  async search(words) {
    await this.s.waitFor("the first listing", async () => (await this.s.findAll(tid("catalog-loading"))).length === 0);
    await (await this.s.find(tid("catalog-words"))).type(words);
    await this.s.click(tid("catalog-search-button"));
    return this.s.waitFor("the search results", async () => {
      const failed = await this.s.findAll(tid("catalog-error-message"));
      if (failed.length) throw new Error(`search failed: ${await failed[0].text()}`);
      if ((await this.s.findAll(tid("catalog-none"))).length) return [];
      const hits = await this.s.findAll(`${tid("catalog-hits")} ${tid("catalog-hit")}`);
      return hits.length ? Promise.all(hits.map((h) => h.attribute("data-name"))) : null;
    });
  }
  /** Opens a result's details; resolves once they show. */
  async open(name) {
    await this.s.click(`${tid("catalog-hit")}[data-name="${name}"] ${tid("catalog-open")}`);
    await this.details();
  }
  /** The details shown: name, version and the facts by test id (failing on an error). */
  async details() {
    return this.s.waitFor("the details", async () => {
      const failed = await this.s.findAll(tid("catalog-error-message"));
      if (failed.length) throw new Error(`details failed: ${await failed[0].text()}`);
      const shown = await this.s.findAll(tid("catalog-details"));
      if (!shown.length) return null;
      const text = async (id) => {
        const found = await this.s.findAll(tid(id));
        return found.length ? found[0].text() : null;
      };
      return {
        name: await shown[0].attribute("data-name"),
        version: await shown[0].attribute("data-version"),
        publisher: await text("catalog-publisher"),
        repository: await text("catalog-repository"),
        registry: await text("catalog-registry"),
        preview: await text("catalog-preview"),
        fromLink: (await this.s.findAll(tid("catalog-from-link"))).length === 1,
        checks: await Promise.all((await this.s.findAll(tid("catalog-check"))).map((c) => c.attribute("data-verdict"))),
      };
    });
  }
  async startAdd() {
    await this.s.click(tid("catalog-add"));
    await this.s.find(tid("catalog-inputs"));
  }
  async fill(key, value) {
    await (await this.s.find(tid(`catalog-input-${key}`))).type(value);
  }
  /** The type of a question's field (`password` for a secret). */
  async fieldType(key) {
    return (await this.s.find(tid(`catalog-input-${key}`))).attribute("type");
  }
  /** Continue: resolves with the exact command or URL and the secrets' names to confirm. */
  async review() {
    await this.s.click(tid("catalog-review"));
    return this.s.waitFor("the exact command or URL", async () => {
      const failed = await this.s.findAll(tid("catalog-add-error-message"));
      if (failed.length) throw new Error(`the add was refused: ${await failed[0].text()}`);
      const exact = await this.s.findAll(tid("catalog-exact"));
      if (!exact.length) return null;
      const secrets = await this.s.findAll(tid("catalog-secret-names"));
      return { exact: await exact[0].text(), secrets: secrets.length ? await secrets[0].text() : "" };
    });
  }
  /** The person's yes: resolves on the sources list the app shows afterwards. */
  async confirm() {
    await this.s.click(tid("catalog-confirm"));
    await this.s.waitFor("the sources list", async () => {
      const failed = await this.s.findAll(tid("catalog-add-error-message"));
      if (failed.length) throw new Error(`the add failed: ${await failed[0].text()}`);
      return (await this.s.findAll(tid("sources-view"))).length === 1;
    }, 30_000);
    return new SourcesPage(this.s);
  }
  async linkError() {
    return (await this.s.find(tid("catalog-link-error"))).text();
  }
  /** A link's question, before anything is fetched: what it says and the warning about its
   *  registry (null when it is a configured one); null while not shown. */
  async linkQuestion() {
    if (!(await this.s.findAll(tid("catalog-link"))).length) return null;
    const text = async (id) => {
      const found = await this.s.findAll(tid(id));
      return found.length ? found[0].text() : null;
    };
    return {
      name: await text("catalog-link-name"),
      version: await text("catalog-link-version"),
      registry: await text("catalog-link-registry"),
      unknown: await text("catalog-link-unknown"),
    };
  }
  /** Yes to "Look it up?": resolves with the details. */
  async lookUp() {
    await this.s.click(tid("catalog-look-up"));
    return this.details();
  }
  /** No to "Look it up?". */
  async cancelLink() {
    await this.s.click(`${tid("catalog-link")} ${tid("catalog-close")}`);
  }
  async back() {
    await this.s.click(tid("back"));
    return new SourcesPage(this.s).open();
  }
}

export class AgentsPage {
  constructor(session) {
    this.s = session;
  }
  row(name) {
    return tid(`agent-row-${name}`);
  }
  /** The agents listed, in order. */
  async names() {
    const rows = await this.s.findAll(`${tid("agents-list")} > li`);
    return Promise.all(rows.map(async (r) => (await r.attribute("data-testid")).replace("agent-row-", "")));
  }
  /** `{ calls, errors, text }` of an agent's use today, as its row shows it. */
  async use(name) {
    const row = await this.s.find(this.row(name));
    const text = await (await this.s.find(`${this.row(name)} ${tid("agent-use")}`)).text();
    return { calls: Number(await row.attribute("data-calls")), errors: Number(await row.attribute("data-errors")), text };
  }
  async rights(name) {
    return (await this.s.find(`${this.row(name)} ${tid("agent-rights")}`)).text();
  }
  /** Adds agent `name` allowed `source` and, of its tools, only `tools`. */
  async addLimited(name, source, tools) {
    await this.s.click(tid("add-agent"));
    await (await this.s.find(tid("agent-name"))).type(name);
    const choice = tid(`agent-source-${source}`);
    await this.s.click(`${choice} ${tid("agent-source")}`);
    await this.s.click(`${choice} ${tid("agent-choose-tools")}`);
    await this.s.find(`${choice} ${tid("agent-tools")}`);
    // Each click re-renders the editor: every box is found again by its tool.
    const boxes = await this.s.findAll(`${choice} ${tid("agent-tools")} input`);
    const names = await Promise.all(boxes.map(async (box) => (await box.attribute("data-testid")).replace("agent-tool-", "")));
    for (const tool of names) {
      const box = await this.s.find(`${choice} ${tid(`agent-tool-${tool}`)}`);
      if (((await box.property("checked")) === true) !== tools.includes(tool)) await box.click();
    }
  }
  async save() {
    await this.s.click(tid("agent-save"));
    return this.s.waitFor("the agent saved", async () => {
      const failed = await this.s.findAll(tid("agents-error-message"));
      if (failed.length) throw new Error(`saving the agent failed: ${await failed[0].text()}`);
      const notice = await this.s.findAll(tid("agents-notice"));
      return notice.length ? notice[0].text() : null;
    });
  }
  /** Copy key: `{ copied: true }`, or the key shown when the window has no clipboard. */
  async copyKey(name) {
    await this.s.click(`${this.row(name)} ${tid("agent-copy-key")}`);
    return this.s.waitFor("the key copied or shown", async () => {
      if ((await this.s.findAll(`${this.row(name)} ${tid("agent-key-copied")}`)).length) return { copied: true };
      const shown = await this.s.findAll(`${this.row(name)} ${tid("agent-key")}`);
      return shown.length ? { copied: false, key: await shown[0].text() } : null;
    });
  }
  /** Rotate key, confirmed with the second click; resolves to the notice. */
  async rotate(name) {
    const button = `${this.row(name)} ${tid("agent-rotate")}`;
    await this.s.click(button);
    await this.s.find(`${this.row(name)} ${tid("agent-confirm")}`);
    await this.s.click(button);
    return this.s.waitFor("the rotation", async () => {
      const notice = await this.s.findAll(tid("agents-notice"));
      return notice.length ? notice[0].text() : null;
    });
  }
  async back() {
    await this.s.click(tid("back"));
    return new SourcesPage(this.s);
  }
}

export class ClientsPage {
  constructor(session) {
    this.s = session;
  }
  row(id) {
    return tid(`client-row-${id}`);
  }
  /** The ids of the clients listed as installed, in order. */
  async installed() {
    const rows = await this.s.findAll(`${tid("clients-installed")} > li`);
    return Promise.all(rows.map(async (r) => (await r.attribute("data-testid")).replace("client-row-", "")));
  }
  /** The row's state code (`not-set-up`, `uses-lanyard`, `could-manage`, `unreadable`), or null when not listed. */
  async state(id) {
    const found = await this.s.findAll(`${this.row(id)} ${tid("client-state")}`);
    return found.length ? found[0].attribute("data-code") : null;
  }
  async stateText(id) {
    return (await this.s.find(`${this.row(id)} ${tid("client-state")}`)).text();
  }
  /** The client's file as the row names it (in full: the row may shorten it on screen). */
  async path(id) {
    return (await this.s.find(`${this.row(id)} ${tid("client-path")}`)).attribute("title");
  }
  /** Chooses the agent Set up writes entries for (`""`: the default's plain entries). */
  async setUpAs(agent) {
    await this.s.click(`${tid("set-up-as")} option[value="${agent}"]`);
    await this.s.waitFor("the choice", async () => (await (await this.s.find(tid("set-up-as"))).property("value")) === agent);
  }
  /** Whether the row offers a button (`client-set-up`, `client-import`, `client-undo`). */
  async offers(id, button) {
    return (await this.s.findAll(`${this.row(id)} ${tid(button)}`)).length === 1;
  }
  /** Clicks a row's button and returns the outcome's text once it shows (failing on an error). */
  async click(id, button) {
    const outcome = async () => {
      const found = await this.s.findAll(`${this.row(id)} ${tid("client-outcome")}`);
      return found.length ? found[0].text() : null;
    };
    const before = await outcome();
    await this.s.click(`${this.row(id)} ${tid(button)}`);
    return this.s.waitFor(`${button}'s outcome`, async () => {
      const failed = await this.s.findAll(`${this.row(id)} ${tid("client-error-message")}`);
      if (failed.length) throw new Error(`${button} failed: ${await failed[0].text()}`);
      const now = await outcome();
      return now !== before ? now : null;
    });
  }
  async back() {
    await this.s.click(tid("back"));
    return new SourcesPage(this.s);
  }
}

export class BridgePage {
  constructor(session) {
    this.s = session;
  }
  /** The hub badge's code (`starting`, `running`, `port-taken`, `failed`). */
  async hubState() {
    return (await this.s.find(tid("hub-badge"))).attribute("data-code");
  }
  async hubFailure() {
    const found = await this.s.findAll(tid("hub-failed-message"));
    return found.length ? found[0].text() : null;
  }
  /** `127.0.0.1:<port>`, or null while the hub does not run. */
  async address() {
    const found = await this.s.findAll(tid("hub-address"));
    return found.length ? found[0].attribute("data-address") : null;
  }
  async mergedUrl() {
    return (await this.s.find(tid("hub-address"))).text();
  }
  async sourceUrl(id) {
    return (await this.s.find(`${tid("source-url")}[data-source="${id}"]`)).text();
  }
  /** Refreshes Connected agents and returns `{ <source or "merged">: sessions }`. */
  async agents() {
    await this.s.click(tid("refresh-agents"));
    const routes = await this.s.findAll(tid("agent-route"));
    const out = {};
    for (const r of routes) out[await r.attribute("data-source")] = Number(await r.attribute("data-sessions"));
    return out;
  }
  async tokenShown() {
    return (await this.s.findAll(tid("bridge-token"))).length === 1;
  }
  async reveal() {
    await this.s.click(tid("reveal-token"));
    return this.s.waitFor("the revealed token", async () => {
      const found = await this.s.findAll(tid("bridge-token"));
      return found.length ? found[0].text() : null;
    });
  }
  async hide() {
    await this.s.click(tid("hide-token"));
  }
  async pickClient(id) {
    await this.s.click(tid(`client-${id}`));
    await this.s.waitFor(`${id}'s config`, async () => {
      const found = await this.s.findAll(tid("ide-config"));
      return found.length > 0 && (await found[0].attribute("data-client")) === id;
    });
  }
  async snippet() {
    return (await this.s.find(tid("ide-snippet"))).text();
  }
  /** `found` or `missing`. */
  async cli() {
    return (await this.s.find(tid("cli"))).attribute("data-cli");
  }
  async configPath() {
    return (await this.s.find(tid("config-path"))).text();
  }
  async writeConfig() {
    await this.s.click(tid("write-config"));
    return this.s.waitFor("the write outcome", async () => {
      const failed = await this.s.findAll(tid("write-error-message"));
      if (failed.length) throw new Error(`Write to config failed: ${await failed[0].text()}`);
      const found = await this.s.findAll(tid("write-result"));
      return found.length ? found[0].text() : null;
    });
  }
  async back() {
    await this.s.click(tid("back"));
    return new SourcesPage(this.s);
  }
}

export class FormPage {
  constructor(session) {
    this.s = session;
  }
  async fill(testid, value) {
    await (await this.s.find(tid(testid))).type(value);
  }
  async addStdio({ id, name, command, args }) {
    await this.fill("field-id", id);
    if (name) await this.fill("field-name", name);
    await this.fill("field-command", command);
    await this.fill("field-args", args.join("\n"));
  }
  /** Picks an option of a <select> the way a person does: by clicking it. */
  async select(testid, value) {
    await this.s.click(`${tid(testid)} option[value="${value}"]`);
  }
  async addHttpWithSignIn({ id, name, url }) {
    await this.fill("field-id", id);
    if (name) await this.fill("field-name", name);
    await this.select("field-transport", "http");
    await this.fill("field-url", url);
    await this.select("field-sign-in", "oauth");
  }
  async addHttpWithClientCredentials({ id, url, tokenUrl, clientId, clientSecret, scopes }) {
    await this.fill("field-id", id);
    await this.select("field-transport", "http");
    await this.fill("field-url", url);
    await this.select("field-sign-in", "clientCredentials");
    await this.fill("field-token-url", tokenUrl);
    await this.fill("field-client-id", clientId);
    await this.fill("field-client-secret", clientSecret);
    await this.fill("field-scopes", scopes);
  }
  async save() {
    await this.s.click(tid("save-source"));
  }
  async value(testid) {
    return (await this.s.find(tid(testid))).property("value");
  }
  async placeholder(testid) {
    return (await this.s.find(tid(testid))).attribute("placeholder");
  }
  async addSecretRow(name, value) {
    await this.s.click(tid("add-row"));
    const i = (await this.s.findAll('[data-testid^="row-"][data-testid$="-name"]')).length - 1;
    await this.fill(`row-${i}-name`, name);
    await this.fill(`row-${i}-value`, value);
  }
  async error(field) {
    return (await this.s.find(tid(`error-${field}`))).text();
  }
}

export class DetailPage {
  constructor(session) {
    this.s = session;
  }
  async badge() {
    return (await this.s.find(tid("detail-badge"))).attribute("data-code");
  }
  async test() {
    await this.s.click(tid("test-source"));
  }
  /** The approval a stdio server from outside waits for, with what it runs; null when none. */
  async approval() {
    const found = await this.s.findAll(tid("approval"));
    if (!found.length) return null;
    const text = async (id) => (await this.s.find(`${tid("approval")} ${tid(id)}`)).text();
    const args = await this.s.findAll(`${tid("approval")} ${tid("launch-arg")}`);
    const env = await this.s.findAll(`${tid("approval")} ${tid("launch-env-name")}`);
    return {
      commandLine: await text("launch-command"),
      args: await Promise.all(args.map((a) => a.text())),
      cwd: await text("launch-cwd"),
      env: await Promise.all(env.map((e) => e.attribute("data-name"))),
    };
  }
  async approve() {
    await this.s.click(tid("approve-source"));
  }
  async toolNames() {
    const tools = await this.s.findAll(tid("tool"));
    return Promise.all(tools.map((t) => t.attribute("data-name")));
  }
  /** The tools withheld since they changed: `{ name, change, diff, flags }` each. */
  async toolChanges() {
    const changes = await this.s.findAll(tid("tool-change"));
    return Promise.all(
      changes.map(async (c) => ({
        name: await c.attribute("data-name"),
        change: await c.attribute("data-change"),
        text: await c.text(),
      })),
    );
  }
  /** How many tools wait (counted without reading them, which a re-render may go stale under). */
  async toolChangeCount() {
    return (await this.s.findAll(tid("tool-change"))).length;
  }
  async rejectTool(name) {
    await this.s.click(`${tid("tool-change")}[data-name="${name}"] ${tid("reject-tool")}`);
  }
  async approveTools() {
    await this.s.click(tid("approve-tools"));
  }
  async lastError() {
    const found = await this.s.findAll(tid("detail-error-message"));
    return found.length ? found[0].text() : null;
  }
  /** The sign-in button's action (`connect`, `reconnect`, `disconnect`, `busy`), or null. */
  async signInAction() {
    const found = await this.s.findAll(tid("sign-in-action"));
    return found.length ? found[0].attribute("data-action") : null;
  }
  async clickSignIn() {
    await this.s.click(tid("sign-in-action"));
  }
  /** The sign-in URL shown while the browser has it, or null. */
  async signInUrl() {
    const found = await this.s.findAll(tid("sign-in-url"));
    return found.length ? found[0].text() : null;
  }
  async signInError() {
    const found = await this.s.findAll(tid("sign-in-error-message"));
    return found.length ? found[0].text() : null;
  }
  /** The expiry countdown: its text and the Unix time it counts to. */
  async expiry() {
    const el = await this.s.find(tid("detail-expiry"));
    return { text: await el.text(), at: Number(await el.attribute("data-expires-at")) };
  }
  async scopes() {
    return (await (await this.s.find(tid("detail-scopes"))).attribute("data-scopes")).split(" ");
  }
  /** How the client behind the tokens is registered, and its id. */
  async client() {
    const fact = await this.s.find(`${tid("fact-client")} [data-registration]`);
    return { registration: await fact.attribute("data-registration"), clientId: await (await this.s.find(tid("client-id"))).text() };
  }
  async tokenError() {
    const found = await this.s.findAll(tid("detail-token-error-message"));
    return found.length ? found[0].text() : null;
  }
  /** The last token error's hint, in the window's words, or null. */
  async tokenErrorHint() {
    const found = await this.s.findAll(tid("detail-token-error-hint"));
    return found.length ? found[0].text() : null;
  }
  async notice() {
    const found = await this.s.findAll(tid("notice"));
    return found.length ? found[0].text() : null;
  }
  /** The activity entries' kinds, newest first, once the log was read. */
  async activityKinds() {
    const entries = await this.s.findAll(tid("activity-entry"));
    return Promise.all(entries.map((e) => e.attribute("data-kind")));
  }
  async activityText() {
    return (await this.s.find(tid("activity"))).text();
  }
  async target() {
    return (await this.s.find(tid("fact-target"))).text();
  }
  async edit() {
    await this.s.click(tid("edit-source"));
    await this.s.find(tid("source-form"));
    return new FormPage(this.s);
  }
  /** Opens the tool editor and waits for the server's tools; returns their upstream names. */
  async editTools() {
    await this.s.click(tid("edit-tools"));
    return this.s.waitFor(
      "the tool editor's rows",
      async () => {
        const failed = await this.s.findAll(tid("tool-editor-error-message"));
        if (failed.length) throw new Error(`the tool editor failed: ${await failed[0].text()}`);
        const rows = await this.s.findAll(tid("tool-choice"));
        return rows.length ? Promise.all(rows.map((r) => r.attribute("data-name"))) : null;
      },
      45_000,
    );
  }
  /** Clicks a tool's Show-to-agents toggle. */
  async toggleTool(name) {
    await this.s.click(tid(`tool-exposed-${name}`));
  }
  async aliasTool(name, alias) {
    // `type` clears the field first.
    await (await this.s.find(tid(`tool-alias-${name}`))).type(alias);
  }
  async aliasError(name) {
    const el = await this.s.find(tid(`tool-alias-error-${name}`));
    return (await el.text()) || null;
  }
  async saveTools() {
    await this.s.click(tid("save-tools"));
  }
  /** The MCP revision the detail says the last connection spoke, or null when it says none. */
  async protocol() {
    const found = await this.s.findAll(tid("fact-protocol"));
    return found.length ? found[0].attribute("data-protocol") : null;
  }
  /** Tries `name` (after Test listed it) with `args` as JSON; returns at once: the server may ask. */
  async runTool(name, args = "{}") {
    await this.s.click(`${tid("run-tool")} option[value="${name}"]`);
    await (await this.s.find(tid("run-args"))).type(args);
    await this.s.click(tid("run-tool-button"));
  }
  /** The tried tool's result text once it shows (failing on an error). */
  async toolResult(timeout) {
    return this.s.waitFor(
      "the tool's result",
      async () => {
        const failed = await this.s.findAll(tid("tool-run-error"));
        if (failed.length) throw new Error(`the call failed: ${await failed[0].text()}`);
        const found = await this.s.findAll(tid("tool-result"));
        return found.length ? found[0].text() : null;
      },
      timeout,
    );
  }
  async toggleEnabled() {
    await this.s.click(tid("toggle-enabled"));
  }
  async remove() {
    // Each click re-renders the view, so the button is looked up again every time.
    await this.s.click(tid("remove-source"));
    await this.s.waitFor("the remove confirmation", async () =>
      (await (await this.s.find(tid("remove-source"))).text()).includes("again"),
    );
    await this.s.click(tid("remove-source"));
  }
  async back() {
    await this.s.click(tid("back"));
    return new SourcesPage(this.s);
  }
}

/** The dialog a server's question (elicitation) opens while a tool is tried. */
export class ElicitationDialog {
  constructor(session) {
    this.s = session;
  }
  /** Waits for the dialog and returns its kind (`form`, `url`, `unknown`). */
  async open(timeout) {
    return this.s.waitFor(
      "the elicitation dialog",
      async () => {
        const found = await this.s.findAll(tid("elicitation-dialog"));
        if (found.length) return found[0].attribute("data-kind");
        for (const ended of ["tool-run-error", "tool-result"]) {
          const shown = await this.s.findAll(tid(ended));
          if (shown.length) throw new Error(`the call ended without asking: ${await shown[0].text()}`);
        }
        return null;
      },
      timeout,
    );
  }
  async message() {
    return (await this.s.find(tid("elicit-message"))).text();
  }
  /** A field's current value: text for inputs and selects, `true`/`false` for a checkbox. */
  async value(name) {
    const field = await this.s.find(tid(`elicit-field-${name}`));
    return (await field.attribute("type")) === "checkbox" ? field.property("checked") : field.property("value");
  }
  async fill(name, value) {
    await (await this.s.find(tid(`elicit-field-${name}`))).type(value);
  }
  async accept() {
    await this.s.click(tid("elicit-accept"));
  }
  async isGone() {
    return (await this.s.findAll(tid("elicitation-dialog"))).length === 0;
  }
}
