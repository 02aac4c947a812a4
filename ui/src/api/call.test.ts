import { afterEach, describe, expect, it } from "vitest";
import { call, setInvoke, toUiError } from "./call";
import { listTools, setEnabled } from "./index";

afterEach(() => setInvoke(() => Promise.reject(new Error("no backend in this test"))));

describe("call()", () => {
  it("passes the shell's UiError through unchanged", async () => {
    setInvoke(() => Promise.reject({ kind: "NeedsSignIn", message: "sign in again" }));
    await expect(call("x")).rejects.toEqual({ kind: "NeedsSignIn", message: "sign in again" });
  });

  it("turns anything else into an Other error with its text", async () => {
    setInvoke(() => Promise.reject(new Error("ipc broke")));
    await expect(call("x")).rejects.toEqual({ kind: "Other", message: "ipc broke" });
    expect(toUiError("plain string")).toEqual({ kind: "Other", message: "plain string" });
    expect(toUiError({ kind: "Bogus", message: "m" }).kind).toBe("Other");
  });

  it("sends each command's arguments under the names the Rust command takes", async () => {
    const seen: unknown[] = [];
    setInvoke((command, args) => {
      seen.push([command, args]);
      return Promise.resolve([]);
    });
    await setEnabled("gh", false);
    await listTools("gh");
    expect(seen).toEqual([
      ["set_enabled", { id: "gh", enabled: false }],
      ["list_tools", { id: "gh" }],
    ]);
  });
});
