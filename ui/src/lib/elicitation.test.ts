import { describe, expect, it } from "vitest";
import { contentOf, initialValues, questionOf, type Field } from "./elicitation";

// What the test kit's `test_elicitation_sep1034_defaults` asks (SEP-1034).
const defaults = {
  message: "Please review these values",
  requestedSchema: {
    type: "object",
    properties: {
      name: { type: "string", default: "John Doe" },
      age: { type: "integer", default: 30 },
      score: { type: "number", default: 95.5 },
      status: { type: "string", enum: ["active", "inactive", "pending"], default: "active" },
      verified: { type: "boolean", default: true },
    },
  },
};

function form(request: unknown): Field[] {
  const question = questionOf(request);
  if (question.kind !== "form") throw new Error(`not a form: ${JSON.stringify(question)}`);
  return question.fields;
}

describe("a server's question", () => {
  it("reads every field kind in the server's order, with its default", () => {
    const fields = form(defaults);
    expect(fields.map((f) => [f.name, f.kind])).toEqual([
      ["name", "string"],
      ["age", "integer"],
      ["score", "number"],
      ["status", "choice"],
      ["verified", "boolean"],
    ]);
    expect(initialValues(fields)).toEqual({ name: "John Doe", age: "30", score: "95.5", status: "active", verified: true });
  });

  it("accepting the defaults sends them typed as the schema says", () => {
    const fields = form(defaults);
    expect(contentOf(fields, initialValues(fields))).toEqual({
      content: { name: "John Doe", age: 30, score: 95.5, status: "active", verified: true },
    });
  });

  it("keeps the server's propertyOrder when it names one", () => {
    const fields = form({ ...defaults, requestedSchema: { ...defaults.requestedSchema, propertyOrder: ["verified", "name"] } });
    expect(fields.map((f) => f.name)).toEqual(["verified", "name", "age", "score", "status"]);
  });

  it("marks required fields and refuses an empty one or a number that is not one", () => {
    const fields = form({
      message: "Who are you?",
      requestedSchema: {
        type: "object",
        properties: { username: { type: "string", title: "User name" }, age: { type: "integer" }, email: { type: "string" } },
        required: ["username"],
      },
    });
    expect(fields.map((f) => [f.label, f.required])).toEqual([["User name", true], ["age", false], ["email", false]]);
    expect(contentOf(fields, { username: " ", age: "3.5", email: "" })).toEqual({
      errors: { username: "Required.", age: "Enter a whole number." },
    });
    expect(contentOf(fields, { username: "ada", age: "", email: "" })).toEqual({ content: { username: "ada" } });
  });

  it("reads titled, legacy and multiple choices (SEP-1330)", () => {
    const fields = form({
      message: "Please choose",
      requestedSchema: {
        type: "object",
        properties: {
          titled: { type: "string", oneOf: [{ const: "v1", title: "First" }] },
          legacy: { type: "string", enum: ["o1"], enumNames: ["Option One"] },
          multi: { type: "array", items: { anyOf: [{ const: "a", title: "A" }, { const: "b", title: "B" }] } },
        },
      },
    });
    expect(fields.map((f) => ("options" in f ? [f.kind, f.options] : f.kind))).toEqual([
      ["choice", [{ value: "v1", label: "First" }]],
      ["choice", [{ value: "o1", label: "Option One" }]],
      ["choices", [{ value: "a", label: "A" }, { value: "b", label: "B" }]],
    ]);
    expect(contentOf(fields, { titled: "v1", legacy: "", multi: ["b"] })).toEqual({ content: { titled: "v1", multi: ["b"] } });
  });

  it("a URL question keeps the URL and the message; what cannot be shown says why", () => {
    expect(questionOf({ mode: "url", message: "Sign here", url: "https://example.com/x", elicitationId: "e" })).toEqual({
      kind: "url",
      message: "Sign here",
      url: "https://example.com/x",
    });
    expect(questionOf({ mode: "telepathy", message: "?" })).toMatchObject({ kind: "unknown" });
    expect(questionOf({ message: "?", requestedSchema: { type: "object", properties: { f: { type: "object" } } } })).toMatchObject({
      kind: "unknown",
      why: expect.stringContaining("f"),
    });
  });
});
