import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { setInvoke } from "./api/call";
import { setListen } from "./api/events";
import { App } from "./app";
import { setWriteText } from "./lib/clipboard";
import { source } from "./lib/fixtures";

// The bridge panel's moves inside the App, against a fake shell: which commands run when, and
// that the token crosses only on Reveal and is forgotten on leaving.
describe("App, bridge panel", () => {
  let calls: string[];
  let clipboard: string[];
  const handlers = new Map<string, (payload: unknown) => void>();
  let root: HTMLElement;

  beforeEach(async () => {
    calls = [];
    clipboard = [];
    handlers.clear();
    setInvoke(async (command, args) => {
      calls.push(command);
      switch (command) {
        case "list_sources":
          return [source()];
        case "set_health":
          return null;
        case "hub_status":
          return { kind: "starting" };
        case "reveal_bridge_token":
          return "tok-123";
        case "ide_config":
          return {
            client: args?.client,
            snippet: `{"for": "${String(args?.client)}"}`,
            cli: { kind: "found", path: "/opt/lanyard" },
            configPath: "/c/config.json",
            sources: 1,
          };
        case "write_ide_config":
          return { path: "/c/config.json", backup: null, changed: true, added: ["everything"], replaced: [], keyVar: null, said: ["Added: everything."] };
        default:
          throw new Error(`unexpected command ${command}`);
      }
    });
    setListen(async (name, handler) => {
      handlers.set(name, handler);
      return () => handlers.delete(name);
    });
    setWriteText(async (text) => void clipboard.push(text));
    root = document.createElement("div");
    document.body.replaceChildren(root);
    await new App(root).start();
  });
  afterEach(() => setWriteText(undefined));

  const q = (id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
  const openPanel = async () => {
    q("open-bridge")!.click();
    await vi.waitFor(() => expect(q("ide-snippet")).not.toBeNull());
  };

  it("the list's Bridge button shows the hub's state, which follows the shell's event", async () => {
    await vi.waitFor(() => expect(q("open-bridge")?.dataset.hub).toBe("starting"));
    handlers.get("hubChanged")!({ kind: "running", address: "127.0.0.1:7587" });
    expect(q("open-bridge")?.dataset.hub).toBe("running");
  });

  it("opening reads the hub and the config; the token is not asked for", async () => {
    await openPanel();
    handlers.get("hubChanged")!({ kind: "running", address: "127.0.0.1:41234" });
    expect(q("hub-address")?.textContent).toBe("http://127.0.0.1:41234/mcp");
    expect(calls).not.toContain("reveal_bridge_token");
    expect(root.textContent).not.toContain("tok-123");
  });

  it("Reveal asks once, Copy copies, and leaving the panel forgets the token", async () => {
    await openPanel();
    q("reveal-token")!.click();
    await vi.waitFor(() => expect(q("bridge-token")?.textContent).toBe("tok-123"));
    q("copy-token")!.click();
    await vi.waitFor(() => expect(q("copied-token")?.textContent).toBe("Copied."));
    expect(clipboard).toEqual(["tok-123"]);
    expect(calls.filter((c) => c === "reveal_bridge_token")).toHaveLength(1);
    q("back")!.click();
    expect(root.textContent).not.toContain("tok-123");
    await openPanel();
    expect(q("bridge-token"), "hidden again after coming back").toBeNull();
  });

  it("picking a client loads its config; Write to config shows what it did", async () => {
    await openPanel();
    q("client-cursor")!.click();
    await vi.waitFor(() => expect(q("ide-config")?.dataset.client).toBe("cursor"));
    expect(q("ide-snippet")?.textContent).toContain("cursor");
    q("write-config")!.click();
    await vi.waitFor(() => expect(q("write-result")?.textContent).toContain("Added: everything."));
  });
});
