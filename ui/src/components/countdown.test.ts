import { describe, expect, it } from "vitest";
import { badgeFor } from "../lib/badge";
import { refreshFailing, tokens } from "../lib/fixtures";
import { badgeEl } from "./badge";
import { countdownEl, tickCountdowns } from "./countdown";

describe("countdown element", () => {
  it("ticks in place: text and tone follow the clock without a re-render", () => {
    const el = countdownEl(tokens({ accessExpiresAt: 1_000 + 121 }), 1_000);
    const root = document.createElement("div");
    root.append(el);
    expect(el.textContent).toBe("expires in 2m 1s");
    expect(el.classList.contains("ok")).toBe(true);
    tickCountdowns(root, 1_002);
    expect(el.textContent, "two seconds later").toBe("expires in 1m 59s");
    expect(el.classList.contains("warn"), "under 2 minutes it warns").toBe(true);
    expect(el.classList.contains("ok"), "and no longer looks calm").toBe(false);
    tickCountdowns(root, 1_220);
    expect(el.dataset.expired).toBe("true");
    expect(el.textContent).toBe("expired 1m 39s ago, renewed on next use");
  });
  it("a token without a lifetime says so and stays put", () => {
    const el = countdownEl(tokens({ accessExpiresAt: null }), 1_000);
    const root = document.createElement("div");
    root.append(el);
    tickCountdowns(root, 5_000);
    expect(el.textContent).toBe("no expiry given");
    expect(el.dataset.expired, "never expires by the clock alone").toBe("false");
  });
  it("a person's token without a refresh token is not renewable", () => {
    const el = countdownEl(tokens({ accessExpiresAt: 900, hasRefreshToken: false }), 1_000);
    expect(el.classList.contains("error"), "expired and nothing can renew it").toBe(true);
  });
});

describe("retry badge", () => {
  it("counts down to the engine's next refresh attempt in place, then says the next use tries", () => {
    const el = badgeEl(badgeFor(refreshFailing(2, 1_083)), 1_000, "source-badge");
    const root = document.createElement("div");
    root.append(el);
    expect(el.textContent).toBe("Error, retrying in 1:23");
    expect(el.dataset.code, "E2E and tests select on the code, not the words").toBe("error");
    tickCountdowns(root, 1_060);
    expect(el.textContent, "a minute later, without a re-render").toBe("Error, retrying in 0:23");
    tickCountdowns(root, 1_090);
    expect(el.textContent).toBe("Error, retrying on next use");
  });
  it("leaves other badges' words alone", () => {
    const el = badgeEl({ label: "Connected", tone: "ok", code: "connected" }, 1_000, "b");
    const root = document.createElement("div");
    root.append(el);
    tickCountdowns(root, 1_090);
    expect(el.textContent).toBe("Connected");
  });
});
