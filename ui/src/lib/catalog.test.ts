import { describe, expect, it } from "vitest";
import type { CatalogQuestionView } from "../api";
import { answersOf, cachedAge, initialValues, inputErrors, updateFor, verdictLabel } from "./catalog";

function question(over: Partial<CatalogQuestionView> = {}): CatalogQuestionView {
  return {
    key: "header:X-Api-Key",
    label: "header X-Api-Key",
    description: null,
    mustAsk: true,
    secret: true,
    default: null,
    choices: [],
    placeholder: null,
    ...over,
  };
}

describe("catalogue rules", () => {
  const apiKey = question();
  const team = question({ key: "header:X-Team", label: "header X-Team", mustAsk: false, secret: false, default: "core" });
  const units = question({ key: "env:UNITS", label: "UNITS", mustAsk: false, secret: false, default: "metric", choices: ["metric", "imperial"] });

  it("starts from the defaults, never from a secret", () => {
    expect(initialValues([apiKey, team, units])).toEqual({ "header:X-Api-Key": "", "header:X-Team": "core", "env:UNITS": "metric" });
    expect(initialValues([question({ default: "leaked?" })])["header:X-Api-Key"], "a secret's default is not prefilled").toBe("");
  });

  it("a required value left blank and a value outside the choices are refused inline", () => {
    expect(inputErrors([apiKey, team], { "header:X-Api-Key": "  ", "header:X-Team": "" })).toEqual({
      "header:X-Api-Key": "header X-Api-Key is required.",
    });
    expect(inputErrors([units], { "env:UNITS": "kelvin" })["env:UNITS"]).toBe("Pick one of metric, imperial.");
    expect(inputErrors([apiKey, units], { "header:X-Api-Key": "k", "env:UNITS": "imperial" })).toEqual({});
  });

  it("sends what was given, blank values left out, secrets as typed", () => {
    const answers = answersOf([apiKey, team, units], { "header:X-Api-Key": " s3cret ", "header:X-Team": " ", "env:UNITS": " imperial " });
    expect(answers).toEqual({ "header:X-Api-Key": " s3cret ", "env:UNITS": "imperial" });
  });

  it("a mismatch reads as an error, an unchecked package as a warning", () => {
    expect(verdictLabel("verified").tone).toBe("ok");
    expect(verdictLabel("mismatch")).toEqual({ label: "Does not match the publisher", tone: "error" });
    expect(verdictLabel("unchecked").tone).toBe("warn");
  });

  it("finds a source's update and says how old a cached answer is", () => {
    const row = { id: "echo", registry: "r", name: "n", current: "1.0.0", latest: "1.1.0" };
    expect(updateFor("echo", [row])).toBe(row);
    expect(updateFor("time", [row])).toBeUndefined();
    expect(cachedAge(1000, 1010)).toBe("just now");
    expect(cachedAge(1000, 1000 + 5 * 60)).toBe("5 min ago");
    expect(cachedAge(0, 3 * 3600)).toBe("3 h ago");
    expect(cachedAge(0, 5 * 86400)).toBe("5 days ago");
  });
});
