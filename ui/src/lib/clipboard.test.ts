import { afterEach, describe, expect, it, vi } from "vitest";
import { copyText, setWriteText, WRITE_TIMEOUT_MS } from "./clipboard";

describe("copyText", () => {
  afterEach(() => setWriteText(undefined));
  it("reports success with the text written", async () => {
    let got = "";
    setWriteText(async (text) => void (got = text));
    expect(await copyText("abc")).toBe(true);
    expect(got).toBe("abc");
  });
  it("a refusing or missing clipboard is a false, never a throw", async () => {
    setWriteText(() => Promise.reject(new Error("denied")));
    expect(await copyText("abc")).toBe(false);
    setWriteText(undefined);
    expect(await copyText("abc")).toBe(false);
  });
  it("a clipboard that never answers is a false once the wait is over", async () => {
    vi.useFakeTimers();
    try {
      setWriteText(() => new Promise(() => {}));
      const copied = copyText("abc");
      await vi.advanceTimersByTimeAsync(WRITE_TIMEOUT_MS);
      expect(await copied).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});
