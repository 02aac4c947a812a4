import { describe, expect, it } from "vitest";
import type { CliView } from "../api";
import { byInstalled, importLines, offersFor, setUpLines, stateSummary, undoneLines } from "./clients";
import { mcpClient } from "./fixtures";

const found: CliView = { kind: "found", path: "/opt/lanyard/lanyard" };
const missing: CliView = { kind: "missing", looked: "/opt/lanyard and the folders on PATH" };

describe("client states in words", () => {
  it("names the three states and a file that does not read", () => {
    expect(stateSummary({ kind: "notSetUp" })).toEqual({ code: "not-set-up", label: "Not set up", tone: "muted" });
    expect(stateSummary({ kind: "usesLanyard", entries: 2 })).toMatchObject({ code: "uses-lanyard", label: "Uses Lanyard", tone: "ok" });
    expect(stateSummary({ kind: "couldManage", servers: 3, viaLanyard: 0 }).label).toBe("Has 3 servers Lanyard could manage");
    expect(stateSummary({ kind: "couldManage", servers: 1, viaLanyard: 2 }).label).toBe("Has 1 server Lanyard could manage");
    expect(stateSummary({ kind: "unreadable", error: "not valid JSON" })).toMatchObject({ code: "unreadable", tone: "error" });
  });

  it("splits the installed clients from the others, keeping the catalogue's order", () => {
    const clients = [mcpClient({ id: "a" }), mcpClient({ id: "b", installed: false }), mcpClient({ id: "c" })];
    const { installed, others } = byInstalled(clients);
    expect(installed.map((c) => c.id)).toEqual(["a", "c"]);
    expect(others.map((c) => c.id)).toEqual(["b"]);
  });
});

describe("what a row offers", () => {
  it("Set up always; Import only with servers to take over; Undo only after a write", () => {
    const plain = offersFor(mcpClient(), found, 1, false);
    expect(plain.setUp).toEqual({ enabled: true, why: null });
    expect(plain.import).toBeNull();
    expect(plain.undo).toBeNull();
    const full = offersFor(mcpClient({ state: { kind: "couldManage", servers: 2, viaLanyard: 0 }, canUndo: true }), found, 1, false);
    expect(full.import).toEqual({ enabled: true, why: null });
    expect(full.undo).toEqual({ enabled: true, why: null });
  });

  it("says why Set up cannot be clicked: a broken file, no CLI, no enabled source", () => {
    const broken = offersFor(mcpClient({ state: { kind: "unreadable", error: "x" } }), found, 1, false);
    expect(broken.setUp?.enabled).toBe(false);
    expect(broken.setUp?.why).toMatch(/Fix its file/);
    const noCli = offersFor(mcpClient({ state: { kind: "couldManage", servers: 1, viaLanyard: 0 } }), missing, 1, false);
    expect(noCli.setUp?.why).toMatch(/lanyard command/);
    expect(noCli.import?.enabled).toBe(false);
    expect(offersFor(mcpClient(), found, 0, false).setUp?.why).toMatch(/Add or enable a source/);
  });

  it("a client not found here is not offered Set up", () => {
    expect(offersFor(mcpClient({ installed: false }), found, 1, false).setUp).toBeNull();
    expect(offersFor(mcpClient({ installed: false, canUndo: true }), found, 1, false).undo?.enabled).toBe(true);
  });

  it("nothing can be clicked while a move runs, without a reason to show", () => {
    const busy = offersFor(mcpClient({ canUndo: true }), found, 1, true);
    expect(busy.setUp).toEqual({ enabled: false, why: null });
    expect(busy.undo?.enabled).toBe(false);
  });
});

describe("outcomes in words", () => {
  it("Set up: what the engine says it did, and that Undo puts it back", () => {
    const said = ["Engine: wrote /c/mcp.json.", "Engine: added gh."];
    const lines = setUpLines({ path: "/c/mcp.json", backup: "/c/mcp.json.lanyard-backup", changed: true, added: ["gh"], replaced: [], keyVar: null, said });
    expect(lines, "the engine's lines as they are").toEqual([...said, "Undo puts the file back."]);
    const same = setUpLines({ path: "/c/mcp.json", backup: null, changed: false, added: [], replaced: ["gh"], keyVar: null, said: ["Engine: unchanged."] });
    expect(same).toEqual(["Engine: unchanged."]);
    const asAgent = setUpLines({ path: "/c/mcp.json", backup: null, changed: true, added: ["gh"], replaced: [], keyVar: "LANYARD_AGENT_TOKEN_CI", said: [] });
    expect(asAgent.find((l) => l.includes("LANYARD_AGENT_TOKEN_CI"))).toMatch(/set it, where the client starts, to the key \(Agents, Copy key\)/);
  });

  it("Import: the new sources, the skipped ones with why, and the file", () => {
    const lines = importLines({
      imported: { added: ["mine", "docs"], skipped: [{ name: "gh", reason: "a source `gh` already exists" }], waiting_for_approval: ["mine"], waiting_said: "Made-up words about mine." },
      written: { path: "/c/mcp.json", backup: "/c/mcp.json.lanyard-backup", changed: true, added: [], replaced: ["mine", "docs"], keyVar: null, said: [] },
    });
    expect(lines[0]).toBe("Imported 2 servers as sources: mine, docs.");
    expect(lines[1], "the engine's words as given, then where to look").toBe("Made-up words about mine. Sources shows each one.");
    expect(lines[2]).toBe("Skipped gh: a source `gh` already exists.");
    expect(lines[3]).toMatch(/^\/c\/mcp\.json now reaches them through Lanyard/);
    expect(importLines({ imported: { added: [], skipped: [], waiting_for_approval: [], waiting_said: null }, written: null })).toEqual([
      "No server was imported.",
      "Its file was left as it was.",
    ]);
  });

  it("Undo: put back, or removed when Lanyard had created the file", () => {
    expect(undoneLines({ path: "/c/mcp.json", removed: false })).toEqual(["Put /c/mcp.json back as it was before Lanyard's write."]);
    expect(undoneLines({ path: "/c/mcp.json", removed: true })[0]).toMatch(/^Removed \/c\/mcp\.json/);
  });
});
