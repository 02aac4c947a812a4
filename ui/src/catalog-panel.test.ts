import { beforeEach, describe, expect, it, vi } from "vitest";
import type { CatalogDetailsView, SourceView } from "./api";
import { setInvoke } from "./api/call";
import { setListen } from "./api/events";
import { App } from "./app";
import { source } from "./lib/fixtures";

const REGISTRY = "http://127.0.0.1:9";
const LINK = "lanyard://add?registry=https://evil.example&name=io.github.lanyard-tests/echo&version=1.0.0";

function details(over: Partial<CatalogDetailsView> = {}): CatalogDetailsView {
  return {
    registry: REGISTRY,
    name: "io.github.lanyard-tests/echo",
    title: "Echo",
    description: "Lanyard's test server",
    version: "1.1.0",
    cachedAt: null,
    registryKnown: true,
    publisher: "io.github.lanyard-tests",
    repository: "https://github.com/lanyard-tests/echo",
    website: null,
    status: null,
    versions: ["1.1.0", "1.0.0"],
    offers: [{ choice: { kind: "remote", index: 0 }, runs: "remote", target: "http://127.0.0.1:1/mcp", transport: "streamable-http", unsupported: null }],
    plan: {
      runs: "remote",
      choice: { kind: "remote", index: 0 },
      remote: true,
      preview: "http://127.0.0.1:1/mcp",
      id: "echo",
      updates: null,
      updateSaid: null,
      questions: [
        { key: "header:X-Api-Key", label: "header X-Api-Key", description: "Your API key", mustAsk: true, secret: true, default: null, choices: [], placeholder: null },
        { key: "header:X-Team", label: "header X-Team", description: null, mustAsk: false, secret: false, default: "core", choices: [], placeholder: null },
      ],
    },
    problem: null,
    checks: [{ subject: "repository", verdict: "mismatch", detail: "owned by someone else" }],
    notes: [],
    ...over,
  };
}

// The Catalogue inside the App, against a fake shell: search, details, the add's two steps
// (nothing saved before the person's yes), a link's details, and the list afterwards.
describe("App, Catalogue view", () => {
  let calls: { command: string; args?: Record<string, unknown> }[];
  let detailsAnswer: (request: Record<string, unknown>) => CatalogDetailsView;
  let sources: SourceView[];
  let openingLinks: string[] | null;
  let root: HTMLElement;

  beforeEach(async () => {
    calls = [];
    sources = [];
    openingLinks = null;
    detailsAnswer = () => details();
    setInvoke(async (command, args) => {
      calls.push({ command, args });
      const request = args?.request as Record<string, unknown> | undefined;
      switch (command) {
        case "list_sources":
          return sources;
        case "set_health":
        case "hub_status":
          return { kind: "starting" };
        case "plugin:deep-link|get_current":
          return openingLinks;
        case "catalog":
          switch (request?.kind) {
            case "search":
              return { kind: "found", content: { hits: [{ ...details(), plan: undefined }], notes: ["http://x: not reached"] } };
            case "details":
              return { kind: "details", content: detailsAnswer(request) };
            case "outdated":
              return { kind: "outdated", content: { sources: [], notes: [] } };
            case "link":
              return request.url === LINK
                ? { kind: "link", content: { kind: "add", link: { registry: "https://evil.example", name: "io.github.lanyard-tests/echo", version: "1.0.0" }, registryConfigured: false } }
                : { kind: "link", content: { kind: "invalid", message: "this Add to Lanyard link cannot be used: it names no server (`name=`)" } };
            case "add":
              if (!request.confirmed) {
                return { kind: "prepared", content: { id: request.id, remote: true, shown: "http://127.0.0.1:1/mcp", secretNames: ["X-Api-Key"], secretsKept: "Kept words from the engine: X-Api-Key", updates: null } };
              }
              sources = [source({ id: String(request.id), name: "Echo", transport: "http" })];
              return { kind: "added", content: { id: request.id, updated: false, shown: "http://127.0.0.1:1/mcp", secretsStored: 1, auth: "headers", waitingForApproval: false } };
          }
          throw new Error(`unexpected catalog request ${JSON.stringify(request)}`);
        default:
          throw new Error(`unexpected command ${command}`);
      }
    });
    setListen(async () => () => {});
    root = document.createElement("div");
    document.body.replaceChildren(root);
  });

  const start = async () => {
    await new App(root).start();
  };
  const q = <E extends HTMLElement = HTMLElement>(id: string) => root.querySelector<E>(`[data-testid="${id}"]`);
  const requests = (kind: string) =>
    calls.filter((c) => c.command === "catalog" && (c.args?.request as { kind: string }).kind === kind).map((c) => c.args!.request as Record<string, unknown>);
  const input = (key: string) => root.querySelector<HTMLInputElement>(`[data-testid="catalog-input-${key}"]`)!;

  it("from the empty list: search, details with the flags, then an add asked in two steps", async () => {
    await start();
    q("empty-catalog")!.click();
    await vi.waitFor(() => expect(q("catalog-hits")).not.toBeNull());
    expect(q("catalog-notes")?.textContent).toContain("not reached");
    root.querySelector<HTMLElement>('[data-testid="catalog-hit"] [data-testid="catalog-open"]')!.click();
    await vi.waitFor(() => expect(q("catalog-details")).not.toBeNull());
    expect(q("catalog-publisher")?.textContent).toBe("io.github.lanyard-tests");
    expect(q("catalog-repository")?.textContent).toBe("https://github.com/lanyard-tests/echo");
    expect(q("catalog-preview")?.textContent).toBe("http://127.0.0.1:1/mcp");
    expect(root.querySelector('[data-testid="catalog-check"][data-verdict="mismatch"]')?.getAttribute("role")).toBe("alert");

    q("catalog-add")!.click();
    expect(input("header:X-Api-Key").type).toBe("password");
    expect(input("header:X-Team").value).toBe("core");
    q("catalog-review")!.click();
    await vi.waitFor(() => expect(q("catalog-input-error")?.textContent).toContain("required"));
    expect(requests("add"), "nothing sent while a required value is missing").toHaveLength(0);

    input("header:X-Api-Key").value = "s3cret";
    input("header:X-Api-Key").dispatchEvent(new Event("input"));
    q("catalog-review")!.click();
    await vi.waitFor(() => expect(q("catalog-exact")?.textContent).toBe("http://127.0.0.1:1/mcp"));
    expect(q("catalog-secret-names")?.textContent, "the engine's words, as they are").toBe("Kept words from the engine: X-Api-Key");
    expect(requests("add")).toEqual([
      {
        kind: "add",
        registry: REGISTRY,
        name: "io.github.lanyard-tests/echo",
        version: "1.1.0",
        id: "echo",
        choice: { kind: "remote", index: 0 },
        answers: { "header:X-Api-Key": "s3cret", "header:X-Team": "core" },
        confirmed: false,
        fromLink: false,
      },
    ]);
    expect(root.textContent, "the secret is never shown back").not.toContain("s3cret");

    q("catalog-confirm")!.click();
    await vi.waitFor(() => expect(q("sources-list")).not.toBeNull());
    expect(requests("add").map((r) => r.confirmed)).toEqual([false, true]);
    expect(q("notice")?.textContent).toBe("Added source echo.");
    expect(root.querySelector('[data-testid="source-row-echo"]')).not.toBeNull();
  });

  it("Cancel on the last step saves nothing", async () => {
    await start();
    q("open-catalog")!.click();
    await vi.waitFor(() => expect(q("catalog-hits")).not.toBeNull());
    root.querySelector<HTMLElement>('[data-testid="catalog-open"]')!.click();
    await vi.waitFor(() => expect(q("catalog-add")).not.toBeNull());
    q("catalog-add")!.click();
    input("header:X-Api-Key").value = "k";
    input("header:X-Api-Key").dispatchEvent(new Event("input"));
    q("catalog-review")!.click();
    await vi.waitFor(() => expect(q("catalog-confirm")).not.toBeNull());
    q("catalog-cancel")!.click();
    expect(q("catalog-confirm")).toBeNull();
    expect(requests("add").filter((r) => r.confirmed)).toHaveLength(0);
  });

  it("a link the app was opened with shows only what it says, flags a registry not yours, and is looked up on yes", async () => {
    openingLinks = [LINK];
    await start();
    await vi.waitFor(() => expect(q("catalog-link")).not.toBeNull());
    expect(q("catalog-link-name")?.textContent).toBe("io.github.lanyard-tests/echo");
    expect(q("catalog-link-version")?.textContent).toBe("1.0.0");
    expect(q("catalog-link-registry")?.textContent).toBe("https://evil.example");
    expect(q("catalog-link-unknown")?.getAttribute("role"), "a registry the person never chose is flagged").toBe("alert");
    expect(requests("details"), "nothing is looked up before the yes").toHaveLength(0);
    q("catalog-look-up")!.click();
    await vi.waitFor(() => expect(q("catalog-details")).not.toBeNull());
    expect(q("catalog-from-link")).not.toBeNull();
    expect(requests("details")).toEqual([
      { kind: "details", registry: "https://evil.example", name: "io.github.lanyard-tests/echo", version: "1.0.0", choice: null },
    ]);
    expect(requests("add"), "a link runs nothing by itself").toHaveLength(0);
    q("catalog-add")!.click();
    input("header:X-Api-Key").value = "k";
    input("header:X-Api-Key").dispatchEvent(new Event("input"));
    q("catalog-review")!.click();
    await vi.waitFor(() => expect(q("catalog-exact")).not.toBeNull());
    expect(requests("add").map((r) => r.fromLink), "a program a link adds waits for the person's approval").toEqual([true]);
  });

  it("Cancel on a link's question looks nothing up", async () => {
    openingLinks = [LINK];
    await start();
    await vi.waitFor(() => expect(q("catalog-link")).not.toBeNull());
    q("catalog-close")!.click();
    expect(q("catalog-link")).toBeNull();
    expect(requests("details")).toHaveLength(0);
  });

  it("an entry with a package and a remote lets the add choose, and adds the one chosen", async () => {
    const npm = { kind: "package" as const, index: 0 };
    const remote = { kind: "remote" as const, index: 0 };
    const offers = [
      { choice: npm, runs: "npm", target: "@lanyard-tests/echo 1.1.0", transport: "stdio", unsupported: null },
      details().offers[0]!,
    ];
    detailsAnswer = (request) => {
      const chosen = request.choice as typeof remote | null;
      const base = details({ offers });
      if (chosen?.kind === "remote") return base;
      return { ...base, plan: { ...base.plan!, runs: "npm", choice: npm, remote: false, preview: "npx -y @lanyard-tests/echo@1.1.0", questions: [] } };
    };
    await start();
    q("open-catalog")!.click();
    await vi.waitFor(() => expect(q("catalog-hits")).not.toBeNull());
    root.querySelector<HTMLElement>('[data-testid="catalog-open"]')!.click();
    await vi.waitFor(() => expect(q("catalog-add")).not.toBeNull());
    q("catalog-add")!.click();
    const select = root.querySelector<HTMLSelectElement>('[data-testid="catalog-choice"]')!;
    expect([...select.options].map((o) => o.textContent)).toEqual([
      "npm @lanyard-tests/echo 1.1.0 over stdio",
      "remote http://127.0.0.1:1/mcp over streamable-http",
    ]);
    expect(select.value, "the default the CLI picks without --use").toBe("package:0");
    q<HTMLInputElement>("catalog-id")!.value = "mine";
    q("catalog-id")!.dispatchEvent(new Event("input"));
    select.value = "remote:0";
    select.dispatchEvent(new Event("change"));
    await vi.waitFor(() => expect(q("catalog-preview")?.textContent).toBe("http://127.0.0.1:1/mcp"));
    expect(requests("details").at(-1)?.choice).toEqual(remote);
    await vi.waitFor(() => expect(input("header:X-Api-Key")).not.toBeNull());
    expect(q<HTMLInputElement>("catalog-id")?.value, "the id typed is kept").toBe("mine");
    input("header:X-Api-Key").value = "k";
    input("header:X-Api-Key").dispatchEvent(new Event("input"));
    q("catalog-review")!.click();
    await vi.waitFor(() => expect(q("catalog-confirm")).not.toBeNull());
    expect(requests("add").map((r) => [r.id, r.choice])).toEqual([["mine", remote]]);
  });

  it("a bad link says why", async () => {
    openingLinks = ["lanyard://add?version=1"];
    await start();
    await vi.waitFor(() => expect(q("catalog-link-error")?.textContent).toContain("names no server"));
    expect(requests("details")).toHaveLength(0);
  });
});
