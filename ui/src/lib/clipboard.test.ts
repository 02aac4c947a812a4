import { afterEach, describe, expect, it } from "vitest";
import { copyText, setWriteText } from "./clipboard";

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
});
