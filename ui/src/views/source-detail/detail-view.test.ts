import { describe, expect, it, vi } from "vitest";
import type { TestOutcome } from "../../lib/badge";
import { disabled, needsSignIn, source } from "../../lib/fixtures";
import { detailView, type DetailProps } from "./detail-view";

function render(over: Partial<DetailProps> = {}) {
  const props: DetailProps = {
    source: source(),
    confirmingRemove: false,
    onBack: vi.fn(),
    onTest: vi.fn(),
    onToggle: vi.fn(),
    onRemove: vi.fn(),
    ...over,
  };
  const el = detailView(props);
  return { el, props };
}
const q = (el: HTMLElement, id: string) => el.querySelector<HTMLElement>(`[data-testid="${id}"]`);

describe("source detail", () => {
  it("ready, untested: Test is offered, no tools or error yet", () => {
    const { el, props } = render();
    expect(q(el, "detail-badge")?.dataset.code).toBe("ready");
    q(el, "test-source")!.click();
    expect(props.onTest).toHaveBeenCalled();
    expect(q(el, "tools-list")).toBeNull();
    expect(q(el, "last-error")).toBeNull();
  });

  it("connected: lists the tools the Test found", () => {
    const test: TestOutcome = {
      kind: "ok",
      tools: [
        { name: "echo", description: "Echoes back the input\nmore" },
        { name: "add", description: null },
      ],
      at: new Date(),
    };
    const { el } = render({ test });
    expect(q(el, "detail-badge")?.dataset.code).toBe("connected");
    const names = [...el.querySelectorAll<HTMLElement>('[data-testid="tool"]')].map((t) => t.dataset.name);
    expect(names).toEqual(["echo", "add"]);
    expect(q(el, "tools-list")?.textContent).not.toContain("more");
  });

  it("connected with no tools: says the source offers none", () => {
    const { el } = render({ test: { kind: "ok", tools: [], at: new Date() } });
    expect(q(el, "tools-empty")).not.toBeNull();
  });

  it("error: shows the last error, its time and the advice for its kind", () => {
    const test: TestOutcome = {
      kind: "failed",
      error: { kind: "Unreachable", message: "source `x`: connection refused" },
      at: new Date(),
    };
    const { el } = render({ test });
    expect(q(el, "detail-badge")?.dataset.code).toBe("error");
    expect(q(el, "detail-error-message")?.textContent).toBe("source `x`: connection refused");
    expect(q(el, "last-error")?.textContent).toContain("reachable");
  });

  it("needs sign-in: shows the engine's hint", () => {
    const { el } = render({ source: needsSignIn() });
    expect(q(el, "detail-badge")?.dataset.code).toBe("needs-sign-in");
    expect(q(el, "detail-hint")?.textContent).toContain("lanyard connect github");
  });

  it("disabled: Test is off and the toggle says Enable", () => {
    const { el, props } = render({ source: disabled() });
    expect((q(el, "test-source") as HTMLButtonElement).disabled).toBe(true);
    expect(q(el, "toggle-enabled")?.textContent).toBe("Enable");
    q(el, "toggle-enabled")!.click();
    expect(props.onToggle).toHaveBeenCalled();
  });

  it("remove asks for a second click", () => {
    expect(q(render().el, "remove-source")?.textContent).toBe("Remove");
    expect(q(render({ confirmingRemove: true }).el, "remove-source")?.textContent).toBe("Click again to remove");
  });
});
