import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ClientsView, UiError } from "./api";
import { setInvoke } from "./api/call";
import { setListen } from "./api/events";
import { App } from "./app";
import { mcpClient, source } from "./lib/fixtures";

// The Clients view's moves inside the App, against a fake shell: what runs when, and that each
// move's outcome shows and the list is read again after it.
describe("App, Clients view", () => {
  let calls: { command: string; args?: Record<string, unknown> }[];
  let listed: ClientsView;
  let failWith: UiError | null;
  let root: HTMLElement;

  beforeEach(async () => {
    calls = [];
    failWith = null;
    listed = {
      clients: [mcpClient(), mcpClient({ id: "codex", name: "Codex", state: { kind: "couldManage", servers: 1, viaLanyard: 0 } })],
      cli: { kind: "found", path: "/opt/lanyard/lanyard" },
    };
    setInvoke(async (command, args) => {
      calls.push({ command, args });
      switch (command) {
        case "list_sources":
          return [source()];
        case "set_health":
        case "hub_status":
          return { kind: "starting" };
        case "list_clients":
          return listed;
        case "agents_board":
          return {
            sources: ["everything"],
            agents: [
              { name: "default", builtIn: true, rights: { sources: null, tools: [], resources: true, prompts: true }, use: { lastMs: null, calls: 0, errors: 0 } },
              { name: "ci", builtIn: false, rights: { sources: ["everything"], tools: [], resources: true, prompts: true }, use: { lastMs: null, calls: 0, errors: 0 } },
            ],
          };
        case "set_up_client":
          if (failWith) throw failWith;
          listed = { ...listed, clients: [mcpClient({ state: { kind: "usesLanyard", entries: 1 }, canUndo: true }), listed.clients[1]!] };
          return { path: "/home/a/.cursor/mcp.json", backup: null, changed: true, added: ["everything"], replaced: [], keyVar: null, said: ["Added: everything."] };
        case "import_client":
          return {
            imported: { added: ["mine"], skipped: [], waiting_for_approval: [], waiting_said: null },
            written: { path: "/home/a/.codex/config.toml", backup: "/b", changed: true, added: [], replaced: ["mine"], keyVar: null, said: [] },
          };
        case "undo_client":
          listed = { ...listed, clients: [mcpClient(), listed.clients[1]!] };
          return { path: "/home/a/.cursor/mcp.json", removed: true };
        default:
          throw new Error(`unexpected command ${command}`);
      }
    });
    setListen(async () => () => {});
    root = document.createElement("div");
    document.body.replaceChildren(root);
    await new App(root).start();
  });

  const q = (id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
  const inRow = (id: string, what: string) => root.querySelector<HTMLButtonElement>(`[data-testid="client-row-${id}"] [data-testid="${what}"]`);
  const count = (command: string) => calls.filter((c) => c.command === command).length;
  const open = async () => {
    q("open-clients")!.click();
    await vi.waitFor(() => expect(q("clients-installed")).not.toBeNull());
  };

  it("Set up as an agent sends the agent chosen; the default sends none", async () => {
    await open();
    await vi.waitFor(() => expect(q("set-up-as")).not.toBeNull());
    const select = q("set-up-as") as HTMLSelectElement;
    expect([...select.options].map((o) => o.value), "the built-in default is the plain choice").toEqual(["", "ci"]);
    select.value = "ci";
    select.dispatchEvent(new Event("change"));
    inRow("cursor", "client-set-up")!.click();
    await vi.waitFor(() => expect(q("client-outcome")?.textContent).toContain("Added: everything."));
    expect(calls.find((c) => c.command === "set_up_client")?.args).toEqual({ id: "cursor", agent: "ci" });
    q("back")!.click();
    await open();
    expect((q("set-up-as") as HTMLSelectElement).value, "coming back, the plain entries again").toBe("");
  });

  it("opening reads the clients; nothing is written until a button is clicked", async () => {
    await open();
    expect(count("list_clients")).toBe(1);
    expect(calls.map((c) => c.command)).not.toContain("set_up_client");
  });

  it("Set up writes, says what it did, and reads the list again: Undo is offered", async () => {
    await open();
    inRow("cursor", "client-set-up")!.click();
    await vi.waitFor(() => expect(q("client-outcome")?.textContent).toContain("Added: everything."));
    expect(calls.find((c) => c.command === "set_up_client")?.args).toEqual({ id: "cursor" });
    expect(count("list_clients")).toBe(2);
    expect(root.querySelector<HTMLElement>('[data-testid="client-row-cursor"]')?.dataset.state).toBe("uses-lanyard");
    inRow("cursor", "client-undo")!.click();
    await vi.waitFor(() => expect(q("client-outcome")?.textContent).toMatch(/^Removed/));
    expect(inRow("cursor", "client-undo")).toBeNull();
  });

  it("Import re-reads the sources too: new ones appear in the list", async () => {
    await open();
    const before = count("list_sources");
    inRow("codex", "client-import")!.click();
    await vi.waitFor(() => expect(q("client-outcome")?.textContent).toContain("Imported 1 server as sources: mine."));
    expect(count("list_sources")).toBeGreaterThan(before);
  });

  it("a refused write shows the engine's words in the row, as an alert", async () => {
    await open();
    failWith = { kind: "Other", message: "/home/a/.cursor/mcp.json: not valid JSON; Lanyard left it as it was" };
    inRow("cursor", "client-set-up")!.click();
    await vi.waitFor(() => expect(q("client-error-message")?.textContent).toContain("Lanyard left it as it was"));
  });

  it("leaving and coming back forgets the outcomes and reads afresh", async () => {
    await open();
    inRow("cursor", "client-set-up")!.click();
    await vi.waitFor(() => expect(q("client-outcome")).not.toBeNull());
    q("back")!.click();
    await open();
    expect(q("client-outcome")).toBeNull();
  });
});
