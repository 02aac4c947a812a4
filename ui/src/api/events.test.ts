import { afterEach, describe, expect, it } from "vitest";
import { onEvent, setListen, type Listen } from "./events";

describe("onEvent", () => {
  const handlers = new Map<string, (payload: unknown) => void>();
  const fake: Listen = async (name, handler) => {
    handlers.set(name, handler);
    return () => handlers.delete(name);
  };
  afterEach(() => handlers.clear());

  it("listens under the event's name and hands over its payload", async () => {
    setListen(fake);
    const got: string[] = [];
    const stop = await onEvent("signInWaiting", (p) => got.push(`${p.id} ${p.url}`));
    handlers.get("signInWaiting")!({ id: "gh", url: "https://as.example/auth" });
    expect(got, "the payload reaches the handler as sent").toEqual(["gh https://as.example/auth"]);
    stop();
    expect(handlers.has("signInWaiting"), "stopping removes the listener").toBe(false);
  });
});
