// The add and edit form. It owns its draft while open: fields update the draft, the engine checks
// it as the person types (`check_source`, a moment after the last key, at once when a field is
// left, and again on save), and its problems show under the field once it was touched (or after
// a submit attempt), secrets use password inputs and are
// sent once, to be stored in the keychain; the shell never sends them back. Editing, the id is
// fixed, and a stored secret shows as "set": left blank it is kept, typed over it is replaced.
// Every sign-in kind is offered with its settings (OAuth: a pre-registered client id, redirect
// port, scopes, extra parameters; a service account: token URL, client, scopes; passthrough).
import { checkSource, type NewSource, type TransportView, type UiError } from "../../api";
import { errorBanner } from "../../components/error-banner";
import { h } from "../../lib/dom";
import {
  emptyDraft,
  errorsOf,
  isValid,
  toNewSource,
  type Draft,
  type Errors,
  type Field,
  type SignIn,
} from "../../lib/validate";

export interface FormProps {
  initial?: Draft;
  /** Editing a saved source: the id is fixed and stored secrets may stay blank. */
  editing?: boolean;
  /** Saves; resolves with an error to show, or nothing when saved. */
  onSubmit(source: NewSource): Promise<UiError | undefined>;
  onCancel(): void;
}

export function formView(props: FormProps): HTMLElement {
  const draft: Draft = structuredClone(props.initial ?? emptyDraft());
  const touched = new Set<string>();
  let submitted = false;
  const serverError = h("div", { "data-testid": "form-server-error" });
  const fieldErrors = new Map<string, HTMLElement>();

  const errorSlot = (field: Field) => {
    const el = h("p", { class: "field-error", id: `err-${field.replace(/\./g, "-")}`, "data-testid": `error-${field}` });
    el.hidden = true;
    fieldErrors.set(field, el);
    return el;
  };

  let errors: Errors = {};
  let asked = 0;
  /** Asks the engine; a newer question's answer wins. A failed check (no keychain, say) shows
   *  only the window's own problems, and saving then says what is wrong. */
  const check = async (): Promise<Errors> => {
    const question = ++asked;
    const problems = await checkSource(toNewSource(draft), props.editing ?? false).catch(() => []);
    const found = errorsOf(draft, problems);
    if (question === asked) {
      errors = found;
      refresh();
    }
    return found;
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const checkSoon = (delay = 250) => {
    clearTimeout(timer);
    timer = setTimeout(() => void check(), delay);
  };

  const refresh = () => {
    for (const [field, el] of fieldErrors) {
      const message = submitted || touched.has(field) ? errors[field as Field] : undefined;
      el.textContent = message ?? "";
      el.hidden = !message;
      const input = form.querySelector<HTMLElement>(`[data-field="${field}"]`);
      input?.setAttribute("aria-invalid", message ? "true" : "false");
      if (message) input?.setAttribute("aria-describedby", el.id);
      else input?.removeAttribute("aria-describedby");
    }
    return errors;
  };

  const bind = <E extends HTMLInputElement | HTMLTextAreaElement>(field: Field, input: E, set: (v: string) => void): E => {
    input.dataset.field = field;
    input.addEventListener("input", () => {
      set(input.value);
      checkSoon();
    });
    input.addEventListener("blur", () => {
      touched.add(field);
      checkSoon(0);
    });
    return input;
  };

  const text = (id: string, value: string, attrs: Record<string, string> = {}) =>
    h("input", { id, type: "text", value, autocomplete: "off", spellcheck: "false", ...attrs });

  const idInput = bind("id", text("f-id", draft.id, { "data-testid": "field-id", placeholder: "github" }), (v) => (draft.id = v));
  if (props.editing) idInput.readOnly = true;
  const secretInput = (id: string, testid: string, value: string, stored: boolean, set: (v: string) => void, field: Field) =>
    bind(
      field,
      h("input", {
        id,
        type: "password",
        value,
        autocomplete: "off",
        "data-testid": testid,
        placeholder: stored ? "set; type to replace" : "not set",
      }),
      set,
    );
  const nameInput = text("f-name", draft.name, { "data-testid": "field-name", placeholder: "GitHub" });
  nameInput.addEventListener("input", () => (draft.name = nameInput.value));
  const commandInput = bind(
    "command",
    text("f-command", draft.command, { "data-testid": "field-command", placeholder: "npx" }),
    (v) => (draft.command = v),
  );
  const argsInput = h("textarea", { id: "f-args", rows: "3", "data-testid": "field-args", spellcheck: "false" });
  argsInput.value = draft.args;
  argsInput.addEventListener("input", () => (draft.args = argsInput.value));
  const cwdInput = text("f-cwd", draft.cwd, { "data-testid": "field-cwd", placeholder: "Lanyard's own" });
  cwdInput.addEventListener("input", () => (draft.cwd = cwdInput.value));
  const urlInput = bind(
    "url",
    text("f-url", draft.url, { "data-testid": "field-url", placeholder: "https://mcp.example.com/mcp", inputmode: "url" }),
    (v) => (draft.url = v),
  );

  const scopesInput = bind(
    "scopes",
    text("f-scopes", draft.scopes, { "data-testid": "field-scopes", placeholder: "the server's suggestion" }),
    (v) => (draft.scopes = v),
  );
  const signInSelect = h(
    "select",
    { id: "f-sign-in", "data-testid": "field-sign-in" },
    h("option", { value: "none" }, "None, or credentials in headers below"),
    h("option", { value: "oauth" }, "Sign in with the browser (OAuth)"),
    h("option", { value: "clientCredentials" }, "Service account (OAuth client credentials)"),
    h("option", { value: "passthrough" }, "The agent's own credentials, passed through"),
  );
  signInSelect.value = draft.signIn;
  const oauthClientIdInput = bind(
    "oauthClientId",
    text("f-oauth-client-id", draft.oauthClientId, {
      "data-testid": "field-oauth-client-id",
      placeholder: "none: Lanyard registers itself",
    }),
    (v) => (draft.oauthClientId = v),
  );
  const redirectPortInput = bind(
    "redirectPort",
    text("f-redirect-port", draft.redirectPort, {
      "data-testid": "field-redirect-port",
      placeholder: "any free port",
      inputmode: "numeric",
    }),
    (v) => (draft.redirectPort = v),
  );
  const authParamsInput = bind(
    "authParams",
    h("textarea", {
      id: "f-auth-params",
      rows: "2",
      spellcheck: "false",
      "data-testid": "field-auth-params",
      placeholder: "login_hint=alice@example.com",
    }),
    (v) => (draft.authParams = v),
  );
  authParamsInput.value = draft.authParams;
  const oauthFields = h(
    "div",
    { "data-testid": "oauth-fields" },
    h(
      "p",
      { class: "muted" },
      props.editing
        ? "Changed sign-in settings take effect at the next sign-in: click Reconnect after saving."
        : "After adding it, click Connect: the sign-in opens in your browser.",
    ),
    h("label", { for: "f-oauth-client-id" }, "Client id, when the server gave you one (optional)"),
    oauthClientIdInput,
    errorSlot("oauthClientId"),
    h("label", { for: "f-redirect-port" }, "Redirect port on 127.0.0.1 (optional; a registered client usually needs one)"),
    redirectPortInput,
    errorSlot("redirectPort"),
    h("label", { for: "f-auth-params" }, "Extra sign-in parameters, one name=value per line (optional)"),
    authParamsInput,
    errorSlot("authParams"),
  );
  const tokenUrlInput = bind(
    "tokenUrl",
    text("f-token-url", draft.tokenUrl, {
      "data-testid": "field-token-url",
      placeholder: "found from the server",
      inputmode: "url",
    }),
    (v) => (draft.tokenUrl = v),
  );
  const clientIdInput = bind(
    "clientId",
    text("f-client-id", draft.clientId, { "data-testid": "field-client-id" }),
    (v) => (draft.clientId = v),
  );
  const clientSecretInput = secretInput(
    "f-client-secret",
    "field-client-secret",
    draft.clientSecret,
    draft.clientSecretStored,
    (v) => (draft.clientSecret = v),
    "clientSecret",
  );
  const serviceHeaderInput = bind(
    "serviceTokenHeader",
    text("f-service-header", draft.serviceTokenHeader, { "data-testid": "field-service-header", placeholder: "none" }),
    (v) => (draft.serviceTokenHeader = v),
  );
  const serviceTokenInput = secretInput(
    "f-service-token",
    "field-service-token",
    draft.serviceToken,
    draft.serviceTokenStored,
    (v) => (draft.serviceToken = v),
    "serviceToken",
  );
  const ccFields = h(
    "div",
    { "data-testid": "client-credentials-fields" },
    h("label", { for: "f-token-url" }, "Token URL (optional)"),
    tokenUrlInput,
    errorSlot("tokenUrl"),
    h("label", { for: "f-client-id" }, "Client id"),
    clientIdInput,
    errorSlot("clientId"),
    h("label", { for: "f-client-secret" }, "Client secret (stored in the keychain)"),
    clientSecretInput,
    errorSlot("clientSecret"),
    h("label", { for: "f-service-header" }, "Service token header (optional)"),
    serviceHeaderInput,
    errorSlot("serviceTokenHeader"),
    h("label", { for: "f-service-token" }, "Service token (stored in the keychain)"),
    serviceTokenInput,
    errorSlot("serviceToken"),
    h("p", { class: "muted" }, "Without a token URL, the token endpoint is found from the server; tokens come without a browser."),
  );
  const passthroughNote = h(
    "p",
    { class: "muted", "data-testid": "passthrough-note" },
    "Agents send their own Authorization header, which goes to the server unchanged; they send the bridge token in Lanyard-Bridge-Token then.",
  );
  const scopesFields = h(
    "div",
    { "data-testid": "scopes-fields" },
    h("label", { for: "f-scopes" }, "Scopes (optional, separated by spaces)"),
    scopesInput,
    errorSlot("scopes"),
  );

  const transportSelect = h(
    "select",
    { id: "f-transport", "data-testid": "field-transport" },
    h("option", { value: "stdio" }, "stdio (a local program)"),
    h("option", { value: "http" }, "Streamable HTTP"),
    h("option", { value: "sse" }, "SSE (deprecated)"),
  );
  transportSelect.value = draft.transport;

  const stdioFields = h(
    "div",
    { class: "group", "data-testid": "stdio-fields" },
    h("label", { for: "f-command" }, "Command"),
    commandInput,
    errorSlot("command"),
    h("label", { for: "f-args" }, "Arguments, one per line"),
    argsInput,
    h("label", { for: "f-cwd" }, "Working folder (optional)"),
    cwdInput,
  );
  const httpFields = h(
    "div",
    { class: "group", "data-testid": "http-fields" },
    h("label", { for: "f-url" }, "URL"),
    urlInput,
    draft.urlHidden
      ? h(
          "p",
          { class: "muted", "data-testid": "url-hidden-note" },
          "The saved URL has a part not shown here (a query or a password); it is kept while the URL stays as it is.",
        )
      : null,
    errorSlot("url"),
    h("label", { for: "f-sign-in" }, "Sign-in"),
    signInSelect,
    oauthFields,
    ccFields,
    scopesFields,
    passthroughNote,
  );
  const rowsTitle = h("h2", {});
  const rowsBox = h("div", { class: "rows", "data-testid": "rows" });

  const renderRows = () => {
    rowsTitle.textContent = draft.transport === "stdio" ? "Environment variables" : "Headers";
    for (const key of [...fieldErrors.keys()]) if (key.startsWith("row.")) fieldErrors.delete(key);
    rowsBox.replaceChildren(
      ...draft.rows.map((row, i) => {
        const name = bind(
          `row.${i}.name`,
          text(`f-row-${i}-name`, row.name, { "data-testid": `row-${i}-name`, "aria-label": "Name" }),
          (v) => (row.name = v),
        );
        const value = bind(
          `row.${i}.value`,
          h("input", {
            id: `f-row-${i}-value`,
            type: row.secret ? "password" : "text",
            value: row.value,
            autocomplete: "off",
            "data-testid": `row-${i}-value`,
            placeholder: row.secret && row.stored ? "set; type to replace" : undefined,
            "aria-label": row.secret ? "Secret value" : "Value",
          }),
          (v) => (row.value = v),
        );
        const secret = h("input", {
          type: "checkbox",
          id: `f-row-${i}-secret`,
          checked: row.secret,
          "data-testid": `row-${i}-secret`,
        });
        secret.addEventListener("change", () => {
          row.secret = secret.checked;
          value.type = row.secret ? "password" : "text";
          checkSoon(0);
        });
        const remove = h(
          "button",
          {
            type: "button",
            class: "link",
            "aria-label": `Remove row ${i + 1}`,
            onclick: () => {
              draft.rows.splice(i, 1);
              renderRows();
            },
          },
          "Remove",
        );
        return h(
          "div",
          { class: "row", "data-testid": `row-${i}` },
          name,
          value,
          h("label", { class: "check", for: `f-row-${i}-secret` }, secret, "Secret (keychain)"),
          remove,
          errorSlot(`row.${i}.name`),
          errorSlot(`row.${i}.value`),
        );
      }),
    );
    refresh();
    checkSoon(0);
  };

  const showTransport = () => {
    const stdio = draft.transport === "stdio";
    stdioFields.hidden = !stdio;
    httpFields.hidden = stdio;
    oauthFields.hidden = stdio || draft.signIn !== "oauth";
    ccFields.hidden = stdio || draft.signIn !== "clientCredentials";
    scopesFields.hidden = stdio || draft.signIn === "none" || draft.signIn === "passthrough";
    passthroughNote.hidden = stdio || draft.signIn !== "passthrough";
    renderRows();
  };
  signInSelect.addEventListener("change", () => {
    draft.signIn = signInSelect.value as SignIn;
    showTransport();
  });
  transportSelect.addEventListener("change", () => {
    draft.transport = transportSelect.value as TransportView;
    showTransport();
  });

  const saveLabel = props.editing ? "Save changes" : "Add source";
  const saveButton = h("button", { type: "submit", class: "primary", "data-testid": "save-source" }, saveLabel);
  const form = h(
    "form",
    {
      class: "view form",
      novalidate: true,
      "data-testid": "source-form",
      "aria-labelledby": "form-title",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        submitted = true;
        clearTimeout(timer);
        if (!isValid(await check())) {
          form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
          return;
        }
        saveButton.disabled = true;
        saveButton.textContent = "Saving…";
        const failed = await props.onSubmit(toNewSource(draft));
        saveButton.disabled = false;
        saveButton.textContent = saveLabel;
        serverError.replaceChildren(...(failed ? [errorBanner(failed, "form-error")] : []));
      },
      onkeydown: (e: Event) => {
        if ((e as KeyboardEvent).key === "Escape") props.onCancel();
      },
    },
    h("header", { class: "bar" }, h("h1", { id: "form-title", tabindex: "-1" }, props.editing ? `Edit ${draft.id}` : "Add a source")),
    serverError,
    h(
      "div",
      { class: "group" },
      h("label", { for: "f-id" }, "Id"),
      idInput,
      errorSlot("id"),
      h("label", { for: "f-name" }, "Name (optional)"),
      nameInput,
      h("label", { for: "f-transport" }, "Transport"),
      transportSelect,
    ),
    stdioFields,
    httpFields,
    rowsTitle,
    rowsBox,
    h(
      "button",
      {
        type: "button",
        class: "link",
        "data-testid": "add-row",
        onclick: () => {
          draft.rows.push({ name: "", value: "", secret: draft.transport !== "stdio" });
          renderRows();
          rowsBox.querySelector<HTMLInputElement>(`#f-row-${draft.rows.length - 1}-name`)?.focus();
        },
      },
      "+ Add a row",
    ),
    h(
      "div",
      { class: "actions" },
      saveButton,
      h("button", { type: "button", "data-testid": "cancel", onclick: () => props.onCancel() }, "Cancel"),
    ),
  );
  showTransport();
  return form;
}
