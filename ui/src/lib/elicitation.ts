// A server's question for the person (MCP elicitation) as the dialog shows it: a form built from
// the requested schema (string, number, integer, boolean, single and multiple choice; each with
// the schema's default, SEP-1034; required fields marked), or a URL to open, which nothing opens
// by itself. The answer's values are typed as the schema says (an integer field sends a number,
// a checkbox a boolean); a required field left empty or a number that is not one stops Accept
// with a word on the field instead of reaching the server.

/** One choice of a choice field: the value sent, and what the person reads. */
export interface Option {
  value: string;
  label: string;
}

export type FieldKind =
  | { kind: "string"; format?: string }
  | { kind: "number" }
  | { kind: "integer" }
  | { kind: "boolean" }
  | { kind: "choice"; options: Option[] }
  | { kind: "choices"; options: Option[] };

export type Field = FieldKind & {
  name: string;
  label: string;
  description?: string;
  required: boolean;
  default?: unknown;
};

export type Question =
  | { kind: "form"; message: string; fields: Field[] }
  | { kind: "url"; message: string; url: string }
  /** A request this window cannot show (an unknown mode, a schema it cannot read): declined. */
  | { kind: "unknown"; message: string; why: string };

/** What the person has typed or chosen so far, per field. */
export type Value = string | boolean | string[];
export type Values = Record<string, Value>;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** The question in a request's params as the server sent them. */
export function questionOf(request: unknown): Question {
  if (!isObject(request)) return { kind: "unknown", message: "", why: "the request is not an object" };
  const message = text(request.message) ?? "";
  if (request.mode === "url") {
    const url = text(request.url);
    return url ? { kind: "url", message, url } : { kind: "unknown", message, why: "it sent no URL" };
  }
  if (request.mode !== undefined && request.mode !== "form") {
    return { kind: "unknown", message, why: `it asks in a mode this app does not know (${String(request.mode)})` };
  }
  const schema = request.requestedSchema;
  if (!isObject(schema) || !isObject(schema.properties)) {
    return { kind: "unknown", message, why: "its form has no fields" };
  }
  const required = Array.isArray(schema.required) ? schema.required.filter((n): n is string => typeof n === "string") : [];
  // The server's own order when it names one; else the order the properties arrived in.
  const names = Object.keys(schema.properties);
  const order = Array.isArray(schema.propertyOrder) ? schema.propertyOrder.filter((n): n is string => names.includes(n as string)) : [];
  const fields: Field[] = [];
  for (const name of [...order, ...names.filter((n) => !order.includes(n))]) {
    const property = schema.properties[name];
    const field = fieldOf(name, property, required.includes(name));
    if (typeof field === "string") return { kind: "unknown", message, why: field };
    fields.push(field);
  }
  return { kind: "form", message, fields };
}

/** One property as a field, or why it cannot be shown. */
function fieldOf(name: string, property: unknown, required: boolean): Field | string {
  if (!isObject(property)) return `the field ${name} has no schema`;
  const base = {
    name,
    label: text(property.title) ?? name,
    description: text(property.description),
    required,
    default: property.default,
  };
  const options = choicesOf(property);
  if (property.type === "string" && options) return { ...base, kind: "choice", options };
  if (property.type === "array" && isObject(property.items)) {
    const items = choicesOf(property.items);
    if (items) return { ...base, kind: "choices", options: items };
  }
  switch (property.type) {
    case "string":
      return { ...base, kind: "string", format: text(property.format) };
    case "number":
      return { ...base, kind: "number" };
    case "integer":
      return { ...base, kind: "integer" };
    case "boolean":
      return { ...base, kind: "boolean" };
  }
  return `the field ${name} is of a type this app cannot ask for (${String(property.type)})`;
}

/** The options of an enum: `enum` (with legacy `enumNames`), or titled `oneOf`/`anyOf` consts. */
function choicesOf(schema: Json): Option[] | undefined {
  if (Array.isArray(schema.enum)) {
    const names = Array.isArray(schema.enumNames) ? schema.enumNames : [];
    return schema.enum.map((value, i) => ({ value: String(value), label: text(names[i]) ?? String(value) }));
  }
  const titled = Array.isArray(schema.oneOf) ? schema.oneOf : Array.isArray(schema.anyOf) ? schema.anyOf : undefined;
  if (!titled) return undefined;
  return titled.filter(isObject).map((o) => ({ value: String(o.const), label: text(o.title) ?? String(o.const) }));
}

/** The fields as the dialog first shows them: each with its default, else empty. */
export function initialValues(fields: Field[]): Values {
  const values: Values = {};
  for (const field of fields) {
    const given = field.default;
    switch (field.kind) {
      case "boolean":
        values[field.name] = given === true;
        break;
      case "choices":
        values[field.name] = Array.isArray(given) ? given.map(String) : [];
        break;
      default:
        values[field.name] = given === undefined || given === null ? "" : String(given);
    }
  }
  return values;
}

/** The answer's content, typed as the schema says; or, per field, what is wrong. */
export function contentOf(
  fields: Field[],
  values: Values,
): { content: Record<string, unknown> } | { errors: Record<string, string> } {
  const content: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const value = values[field.name];
    if (field.kind === "boolean") {
      content[field.name] = value === true;
      continue;
    }
    if (field.kind === "choices") {
      const chosen = Array.isArray(value) ? value : [];
      if (chosen.length > 0 || field.required) content[field.name] = chosen;
      continue;
    }
    const typed = typeof value === "string" ? value.trim() : "";
    if (typed === "") {
      if (field.required) errors[field.name] = "Required.";
      continue;
    }
    if (field.kind === "integer" || field.kind === "number") {
      const number = Number(typed);
      if (!Number.isFinite(number)) errors[field.name] = "Enter a number.";
      else if (field.kind === "integer" && !Number.isInteger(number)) errors[field.name] = "Enter a whole number.";
      else content[field.name] = number;
      continue;
    }
    content[field.name] = typeof value === "string" ? value : typed;
  }
  return Object.keys(errors).length > 0 ? { errors } : { content };
}
