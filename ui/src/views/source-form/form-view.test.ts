import { beforeEach, describe, expect, it, vi } from "vitest";
import type { FieldProblem, NewSource } from "../../api";
import { setInvoke } from "../../api/call";
import { emptyDraft } from "../../lib/validate";
import { formView, type FormProps } from "./form-view";

/** A stand-in for the engine's `check_source` (its rules are the engine's, tested there and in
 *  the real window): a few problems, worded `engine: <field>`, so the test sees where each one
 *  shows and that the form waits for them. */
function fakeCheck(source: NewSource): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const add = (field: FieldProblem["field"]) => problems.push({ field, message: `engine: ${field.kind}` });
  if (source.id === "") add({ kind: "id" });
  const t = source.transport;
  if (t.kind === "stdio" && t.command === "") add({ kind: "command" });
  if (t.kind !== "stdio" && !/^https?:\/\/\S+$/.test(t.url)) add({ kind: "url" });
  const a = source.auth;
  if (a.kind === "oauth") {
    if (a.redirectPort === "70000") add({ kind: "redirectPort" });
    a.extraParams.forEach((p, index) => p.name === "state" && add({ kind: "authParam", index }));
  }
  if (a.kind === "clientCredentials") {
    if (a.tokenUrl.startsWith("http:")) add({ kind: "tokenUrl" });
    if (a.clientId === "") add({ kind: "clientId" });
  }
  return problems;
}
const checked: { source: NewSource; editing: boolean }[] = [];
beforeEach(() => {
  checked.length = 0;
  setInvoke(async (command, args) => {
    if (command !== "check_source") throw new Error(`unexpected ${command}`);
    const { source, editing } = args as { source: NewSource; editing: boolean };
    checked.push({ source, editing });
    return fakeCheck(source);
  });
});
/** Lets the engine's answers (and a save) arrive. */
const settle = () => new Promise((r) => setTimeout(r, 5));

function render(over: Partial<FormProps> = {}) {
  const props: FormProps = {
    onSubmit: vi.fn(async () => undefined),
    onCancel: vi.fn(),
    ...over,
  };
  const el = formView(props);
  document.body.replaceChildren(el);
  return { el, props };
}
const q = <T extends HTMLElement = HTMLInputElement>(el: HTMLElement, id: string) =>
  el.querySelector<T>(`[data-testid="${id}"]`)!;
function type(el: HTMLElement, id: string, value: string) {
  const input = q(el, id);
  input.value = value;
  input.dispatchEvent(new Event("input"));
  input.dispatchEvent(new Event("blur"));
}
const submit = async (el: HTMLElement) => {
  el.dispatchEvent(new Event("submit", { cancelable: true }));
  await settle();
};

describe("add source form", () => {
  it("shows no errors before anything is touched", () => {
    const { el } = render();
    expect([...el.querySelectorAll<HTMLElement>(".field-error")].every((e) => e.hidden)).toBe(true);
  });

  it("missing command: shown inline on submit, nothing sent", async () => {
    const { el, props } = render();
    type(el, "field-id", "everything");
    await submit(el);
    expect(q(el, "error-command").textContent, "the engine's words").toBe("engine: command");
    expect(q(el, "field-command").getAttribute("aria-invalid")).toBe("true");
    expect(props.onSubmit).not.toHaveBeenCalled();
  });

  it("bad URL: shown as soon as the field is left", async () => {
    const { el } = render();
    const select = q<HTMLSelectElement>(el, "field-transport");
    select.value = "http";
    select.dispatchEvent(new Event("change"));
    expect(q(el, "stdio-fields").hidden).toBe(true);
    type(el, "field-url", "mcp.example.com");
    await settle();
    expect(q(el, "error-url").textContent).toBe("engine: url");
    expect(checked.at(-1)?.source.transport, "the form as typed").toMatchObject({ kind: "http", url: "mcp.example.com" });
    type(el, "field-url", "https://mcp.example.com/mcp");
    await settle();
    expect(q(el, "error-url").hidden).toBe(true);
  });

  it("asks the engine a moment after the last key, not at every key", async () => {
    const { el } = render();
    await settle();
    const before = checked.length;
    const id = q(el, "field-id");
    for (const text of ["e", "ev", "eve"]) {
      id.value = text;
      id.dispatchEvent(new Event("input"));
    }
    await new Promise((r) => setTimeout(r, 400));
    expect(checked.slice(before).map((c) => c.source.id), "once, with the last text").toEqual(["eve"]);
    expect(checked.at(-1)?.editing).toBe(false);
  });

  it("sends a stdio source with its arguments, one per line", async () => {
    const { el, props } = render();
    type(el, "field-id", "everything");
    type(el, "field-command", "node");
    const args = q<HTMLTextAreaElement>(el, "field-args");
    args.value = "/srv/index.js\nstdio";
    args.dispatchEvent(new Event("input"));
    await submit(el);
    expect(props.onSubmit).toHaveBeenCalledWith({
      id: "everything",
      name: null,
      transport: { kind: "stdio", command: "node", args: ["/srv/index.js", "stdio"], env: [], cwd: null },
      auth: { kind: "none" },
    } satisfies NewSource);
  });

  it("a secret header uses a password field and is sent flagged secret", async () => {
    const { el, props } = render();
    const select = q<HTMLSelectElement>(el, "field-transport");
    select.value = "http";
    select.dispatchEvent(new Event("change"));
    type(el, "field-id", "remote");
    type(el, "field-url", "https://mcp.example.com/mcp");
    q(el, "add-row").click();
    expect(q(el, "row-0-value").type).toBe("password");
    type(el, "row-0-name", "X-Api-Key");
    type(el, "row-0-value", "k");
    await submit(el);
    expect(props.onSubmit).toHaveBeenCalledWith(
      expect.objectContaining({ transport: { kind: "http", url: "https://mcp.example.com/mcp", headers: [{ name: "X-Api-Key", value: "k", secret: true }] } }),
    );
  });

  it("an HTTP source can ask for a browser sign-in, with optional scopes", async () => {
    const { el, props } = render();
    expect(q(el, "oauth-fields").hidden, "sign-in settings only show for HTTP and SSE").toBe(true);
    const select = q<HTMLSelectElement>(el, "field-transport");
    select.value = "http";
    select.dispatchEvent(new Event("change"));
    const signIn = q<HTMLSelectElement>(el, "field-sign-in");
    signIn.value = "oauth";
    signIn.dispatchEvent(new Event("change"));
    expect(q(el, "oauth-fields").hidden, "choosing OAuth shows the scopes field").toBe(false);
    type(el, "field-id", "fixture");
    type(el, "field-url", "http://127.0.0.1:4000/mcp");
    type(el, "field-scopes", "mcp:read");
    await submit(el);
    expect(props.onSubmit).toHaveBeenCalledWith(
      expect.objectContaining({
        id: "fixture",
        auth: { kind: "oauth", scopes: ["mcp:read"], clientId: "", redirectPort: "", extraParams: [] },
      }),
    );
  });

  it("shows the shell's error when saving fails", async () => {
    const onSubmit = vi.fn(async () => ({ kind: "InvalidProfile" as const, message: "a source named `x` already exists" }));
    const { el } = render({ onSubmit });
    type(el, "field-id", "x");
    type(el, "field-command", "node");
    await submit(el);
    expect(q(el, "form-error-message").textContent).toContain("already exists");
  });

  it("Escape cancels", () => {
    const { el, props } = render();
    el.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape" }));
    expect(props.onCancel).toHaveBeenCalled();
  });
});

describe("edit source form", () => {
  const saved = () => ({
    ...emptyDraft(),
    id: "remote",
    transport: "http" as const,
    url: "https://old.example/mcp",
    rows: [{ name: "X-Api-Key", value: "", secret: true, stored: true }],
  });

  it("fixes the id, says a stored secret is set, and saves with it blank", async () => {
    const { el, props } = render({ initial: saved(), editing: true });
    expect(q(el, "field-id").readOnly, "the id cannot change").toBe(true);
    expect(el.querySelector("h1")?.textContent).toBe("Edit remote");
    expect(q(el, "save-source").textContent).toBe("Save changes");
    const secret = q(el, "row-0-value");
    expect(secret.type).toBe("password");
    expect(secret.value, "no secret value in the window").toBe("");
    expect(secret.placeholder).toMatch(/^set/);
    expect(q(el, "url-hidden-note"), "no hidden URL part in this one").toBeNull();
    type(el, "field-url", "https://new.example/mcp");
    await submit(el);
    expect(props.onSubmit).toHaveBeenCalledWith(
      expect.objectContaining({
        transport: { kind: "http", url: "https://new.example/mcp", headers: [{ name: "X-Api-Key", value: "", secret: true }] },
      }),
    );
  });

  it("a bad URL is refused inline, nothing sent; a hidden URL part is mentioned", async () => {
    const { el, props } = render({ initial: { ...saved(), urlHidden: true }, editing: true });
    expect(el.querySelector('[data-testid="url-hidden-note"]')?.textContent).toMatch(/kept/);
    type(el, "field-url", "ftp://old.example");
    await submit(el);
    expect(q(el, "error-url").textContent).toBe("engine: url");
    expect(checked.at(-1)?.editing, "checked as an edit of the saved source").toBe(true);
    expect(props.onSubmit).not.toHaveBeenCalled();
  });

  it("client credentials: its fields show for the choice, secrets in password fields", async () => {
    const { el, props } = render({ initial: { ...saved(), rows: [] }, editing: true });
    expect(q(el, "client-credentials-fields").hidden).toBe(true);
    const signIn = q<HTMLSelectElement>(el, "field-sign-in");
    signIn.value = "clientCredentials";
    signIn.dispatchEvent(new Event("change"));
    expect(q(el, "client-credentials-fields").hidden).toBe(false);
    expect(q(el, "field-client-secret").type).toBe("password");
    expect(q(el, "field-service-token").type).toBe("password");
    await submit(el);
    expect(q(el, "error-clientId").textContent).toBe("engine: clientId");
    type(el, "field-client-id", "svc");
    type(el, "field-client-secret", "cs");
    await submit(el);
    expect(props.onSubmit).toHaveBeenCalledWith(
      expect.objectContaining({
        auth: {
          kind: "clientCredentials",
          tokenUrl: "",
          clientId: "svc",
          clientSecret: "cs",
          scopes: [],
          serviceTokenHeader: "",
          serviceToken: "",
        },
      }),
    );
  });

  it("OAuth: client id, redirect port and extra parameters, checked inline and kept when not touched", async () => {
    const initial = {
      ...saved(),
      signIn: "oauth" as const,
      oauthClientId: "lanyard-desktop",
      redirectPort: "8765",
      authParams: "prompt=consent",
    };
    const { el, props } = render({ initial, editing: true });
    expect(q(el, "oauth-fields").hidden).toBe(false);
    expect(q(el, "field-oauth-client-id").value).toBe("lanyard-desktop");
    expect(q<HTMLTextAreaElement>(el, "field-auth-params").value).toBe("prompt=consent");
    type(el, "field-redirect-port", "70000");
    await settle();
    expect(q(el, "error-redirectPort").textContent, "shown once the field is left").toBe("engine: redirectPort");
    const params = q<HTMLTextAreaElement>(el, "field-auth-params");
    params.value = "prompt=consent\n\nstate=x";
    params.dispatchEvent(new Event("input"));
    await submit(el);
    expect(q(el, "error-authParams").textContent, "the engine's problem at its line").toBe("Line 3: engine: authParam");
    expect(props.onSubmit, "nothing is saved while a field is wrong").not.toHaveBeenCalled();
    params.value = "prompt=consent\nlogin_hint";
    params.dispatchEvent(new Event("input"));
    await submit(el);
    expect(q(el, "error-authParams").textContent, "the box's own syntax").toMatch(/^Line 2: write name=value/);
    expect(props.onSubmit).not.toHaveBeenCalled();
    type(el, "field-redirect-port", "8765");
    params.value = "prompt=consent";
    params.dispatchEvent(new Event("input"));
    await submit(el);
    expect(props.onSubmit).toHaveBeenCalledWith(
      expect.objectContaining({
        auth: {
          kind: "oauth",
          scopes: [],
          clientId: "lanyard-desktop",
          redirectPort: "8765",
          extraParams: [{ name: "prompt", value: "consent" }],
        },
      }),
    );
  });

  it("token passthrough can be chosen: no scopes, a word on what agents send", async () => {
    const { el, props } = render({ initial: { ...saved(), rows: [] }, editing: true });
    expect(q(el, "passthrough-note").hidden).toBe(true);
    const signIn = q<HTMLSelectElement>(el, "field-sign-in");
    signIn.value = "passthrough";
    signIn.dispatchEvent(new Event("change"));
    expect(q(el, "passthrough-note").hidden).toBe(false);
    expect(q(el, "scopes-fields").hidden, "passthrough asks for no scopes").toBe(true);
    await submit(el);
    expect(props.onSubmit).toHaveBeenCalledWith(
      expect.objectContaining({ auth: { kind: "passthrough" } }),
    );
  });

  it("client credentials: a token URL that is not https is refused inline", async () => {
    const initial = { ...saved(), rows: [], signIn: "clientCredentials" as const, clientId: "svc", clientSecretStored: true };
    const { el, props } = render({ initial, editing: true });
    type(el, "field-token-url", "http://as.example/token");
    await submit(el);
    expect(q(el, "error-tokenUrl").textContent).toBe("engine: tokenUrl");
    expect(props.onSubmit).not.toHaveBeenCalled();
    type(el, "field-token-url", "https://as.example/token");
    await submit(el);
    expect(props.onSubmit).toHaveBeenCalledWith(
      expect.objectContaining({ auth: expect.objectContaining({ tokenUrl: "https://as.example/token" }) }),
    );
  });
});
