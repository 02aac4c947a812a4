import { describe, expect, it, vi } from "vitest";
import type { CatalogDetailsView } from "../../api";
import { catalogView, type CatalogProps } from "./catalog-view";

function details(over: Partial<CatalogDetailsView> = {}): CatalogDetailsView {
  return {
    registry: "https://r.example",
    name: "com.example/weather",
    title: "com.example/weather",
    description: "Forecasts",
    version: "3.2.0",
    cachedAt: null,
    registryKnown: true,
    publisher: "com.example",
    repository: null,
    website: null,
    status: "deprecated",
    versions: ["3.2.0"],
    offers: [{ choice: { kind: "package", index: 0 }, runs: "mcpb", target: "https://x/w.mcpb", transport: "stdio", unsupported: "`mcpb` packages are not supported" }],
    plan: null,
    problem: "`com.example/weather` 3.2.0 offers nothing Lanyard can run",
    checks: [],
    notes: ["registry https://other: no answer; showing what was fetched 2 h ago (the cache)"],
    ...over,
  };
}

function render(over: Partial<CatalogProps> = {}) {
  const props: CatalogProps = {
    words: "",
    search: { kind: "idle" },
    fromLink: false,
    now: 1_800_000_000,
    onBack: vi.fn(),
    onSearch: vi.fn(),
    onWords: vi.fn(),
    onOpen: vi.fn(),
    onCloseDetails: vi.fn(),
    onLookUp: vi.fn(),
    onStartAdd: vi.fn(),
    onChoose: vi.fn(),
    onValue: vi.fn(),
    onId: vi.fn(),
    onReview: vi.fn(),
    onConfirm: vi.fn(),
    onCancelAdd: vi.fn(),
    ...over,
  };
  const el = catalogView(props);
  document.body.replaceChildren(el);
  return { el, props };
}
const q = (el: HTMLElement, id: string) => el.querySelector<HTMLElement>(`[data-testid="${id}"]`);

describe("catalogue view", () => {
  it("an entry Lanyard cannot run says why and offers no Add", () => {
    const { el } = render({ details: { kind: "ready", details: details() } });
    expect(q(el, "catalog-problem")?.textContent).toContain("offers nothing Lanyard can run");
    expect(q(el, "catalog-add")).toBeNull();
    expect(q(el, "catalog-offers")?.textContent).toContain("not supported");
    expect(q(el, "catalog-status")?.textContent).toBe("deprecated");
    expect(q(el, "catalog-notes")?.textContent).toContain("the cache");
  });

  it("a registry that is not one of yours is named so, and a link's entry says where it came from", () => {
    const { el } = render({ details: { kind: "ready", details: details({ registryKnown: false }) }, fromLink: true });
    expect(q(el, "catalog-registry")?.textContent).toBe("https://r.example (not one of your registries)");
    expect(q(el, "catalog-from-link")).not.toBeNull();
  });

  it("a link shows only what it says and asks before it is looked up", () => {
    const link = { registry: "https://evil.example", name: "a/b", version: null };
    const { el, props } = render({ details: { kind: "link", link, registryConfigured: false }, fromLink: true });
    expect(q(el, "catalog-link-version")?.textContent).toBe("the latest");
    expect(q(el, "catalog-link-unknown")?.textContent).toContain("https://evil.example is not one of your registries");
    expect(q(el, "catalog-details"), "no details before the yes").toBeNull();
    q(el, "catalog-look-up")!.click();
    expect(props.onLookUp).toHaveBeenCalledOnce();
    const configured = render({ details: { kind: "link", link: { ...link, registry: null }, registryConfigured: true } });
    expect(q(configured.el, "catalog-link-unknown")).toBeNull();
    expect(q(configured.el, "catalog-link-registry")?.textContent).toBe("your registries");
  });

  it("the add offers a choice only between offers Lanyard can run", () => {
    const plan = { runs: "npm", choice: { kind: "package" as const, index: 0 }, remote: false, preview: "npx -y x", id: "x", updates: null, updateSaid: null, questions: [] };
    const runnable = (index: number, runs: string) => ({ choice: { kind: runs === "remote" ? ("remote" as const) : ("package" as const), index }, runs, target: `t${index}`, transport: "stdio", unsupported: null });
    const add = { stage: "inputs" as const, id: "x", values: {}, errors: {}, checking: false };
    const one = render({ details: { kind: "ready", details: details({ plan, problem: null, offers: [runnable(0, "npm"), ...details().offers] }) }, add });
    expect(q(one.el, "catalog-choice"), "one runnable offer: nothing to choose").toBeNull();
    const two = render({ details: { kind: "ready", details: details({ plan, problem: null, offers: [runnable(0, "npm"), runnable(0, "remote")] }) }, add });
    const select = q(two.el, "catalog-choice") as HTMLSelectElement;
    select.value = "remote:0";
    select.dispatchEvent(new Event("change"));
    expect(two.props.onChoose).toHaveBeenCalledWith({ kind: "remote", index: 0 });
  });

  it("an update shows the engine's words for it as given", () => {
    const plan = { runs: "npm", choice: { kind: "package" as const, index: 0 }, remote: false, preview: "npx -y x", id: "x", updates: "1.0.0", updateSaid: "Made-up update words.", questions: [] };
    const { el } = render({ details: { kind: "ready", details: details({ plan, problem: null }) } });
    expect(q(el, "catalog-update-said")?.textContent).toBe(" Made-up update words.");
    expect(q(el, "catalog-add")?.textContent).toBe("Update…");
    const fresh = render({ details: { kind: "ready", details: details({ plan: { ...plan, updates: null, updateSaid: null }, problem: null }) } });
    expect(q(fresh.el, "catalog-update-said"), "a new source: no update to speak of").toBeNull();
  });

  it("a search keeps the words typed and sends them trimmed", () => {
    const { el, props } = render({ words: "wea" });
    const input = el.querySelector<HTMLInputElement>('[data-testid="catalog-words"]')!;
    expect(input.value).toBe("wea");
    input.value = " weather ";
    input.dispatchEvent(new Event("input"));
    expect(props.onWords).toHaveBeenCalledWith(" weather ");
    q(el, "catalog-search-button")!.click();
    expect(props.onSearch).toHaveBeenCalledWith("weather");
  });

  it("a cached result says how old it is", () => {
    const hit = { registry: "r", name: "a/b", title: "B", description: "", version: "1", cachedAt: 1_800_000_000 - 7200 };
    const { el } = render({ search: { kind: "ready", view: { hits: [hit], notes: [] } } });
    expect(q(el, "catalog-hit")?.textContent).toContain("fetched 2 h ago");
  });
});
