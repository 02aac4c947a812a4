// The client under test for the official MCP conformance suite (`conformance client --command`).
// The suite starts a scenario's server and runs `node client.mjs <server-url>` with the scenario
// in MCP_CONFORMANCE_SCENARIO and its data (pre-registered credentials, tool calls) in
// MCP_CONFORMANCE_CONTEXT. This script only turns that into `lanyard` CLI invocations, the way a
// person or an agent would use the CLI against that server; every request on the wire is
// Lanyard's own. It never answers for Lanyard, so a scenario Lanyard cannot do fails.
//
// Scenarios without sign-in use the one-off `--url` mode (nothing saved). Auth scenarios go the
// way a person does: `profile add`, `connect`, `tools`, `call`, and on exit code 4 (sign-in
// needed, e.g. a step-up to more scopes) `connect` once more and run the command again. The
// profile lives in an empty temporary config folder and the secrets in a keychain of the run's
// own: the whole script runs in scripts/with-keychain.sh (a private gnome-keyring, removed after),
// so no scenario sees another's tokens or registrations, and nothing reaches the user's keychain.
// $BROWSER is tests/it/support/browser.sh, which follows the authorization URL to Lanyard's
// loopback redirect like a person who signs in and consents.
//
//   LANYARD_BIN  the lanyard binary (default: target/debug/lanyard of this checkout)

import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// Run once more inside a private keychain of its own, which every lanyard it starts shares.
const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
if (!process.env.LANYARD_CONFORMANCE_KEYCHAIN) {
  const env = { ...process.env, LANYARD_CONFORMANCE_KEYCHAIN: "1" };
  delete env.LANYARD_IN_KEYCHAIN_SESSION; // a fresh one even when the caller runs in one
  const inner = spawnSync(
    join(repo, "scripts/with-keychain.sh"),
    [process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: "inherit", env },
  );
  if (inner.error) throw inner.error;
  process.exit(inner.status ?? 1);
}

const lanyardBin = process.env.LANYARD_BIN || join(repo, "target/debug/lanyard");
const url = process.argv.at(-1);
const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? "";
const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT || "{}");

// The client id the suite's authorization servers accept as a Client ID Metadata Document
// (SEP-991) without fetching it. Lanyard uses it only where the server advertises
// `client_id_metadata_document_supported`, and registers dynamically otherwise.
const CIMD_URL = "https://conformance-test.local/client-metadata.json";

const home = mkdtempSync(join(tmpdir(), "lanyard-conformance-"));
mkdirSync(join(home, "config"));
mkdirSync(join(home, "data"));
const baseEnv = {
  ...process.env,
  LANYARD_CONFIG_DIR: join(home, "config"),
  LANYARD_DATA_DIR: join(home, "data"),
  LANYARD_KEYCHAIN: "secret-service",
  BROWSER: join(repo, "tests/it/support/browser.sh"),
};

/** Runs `lanyard ARGS`, echoing its output; returns its exit code and stdout. */
function lanyard(args, extraEnv = {}) {
  console.error(`+ lanyard ${args.map((a) => (/[\s'"{}]/.test(a) ? `'${a}'` : a)).join(" ")}`);
  const run = spawnSync(lanyardBin, args, {
    env: { ...baseEnv, ...extraEnv },
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
    timeout: 60_000,
  });
  if (run.error) throw run.error;
  process.stdout.write(run.stdout);
  return { status: run.status ?? 1, stdout: run.stdout };
}

/** Quotes one word for `sh -c`. */
const shellWord = (word) => `'${word.replaceAll("'", "'\\''")}'`;

/**
 * Runs `lanyard ARGS` on a pseudo-terminal (util-linux `script`), the way a person at a terminal
 * runs it, with `typed` as what they type; returns its exit code. The terminal's output (prompts
 * and result) is echoed to stderr.
 */
function lanyardAtTerminal(args, typed) {
  console.error(`+ (at a terminal, typing ${JSON.stringify(typed)}) lanyard ${args.join(" ")}`);
  const command = [lanyardBin, ...args].map(shellWord).join(" ");
  const run = spawnSync("script", ["--quiet", "--return", "--command", command, "/dev/null"], {
    env: baseEnv,
    input: typed,
    stdio: ["pipe", "pipe", "inherit"],
    encoding: "utf8",
    timeout: 60_000,
  });
  process.stderr.write(run.stdout ?? "");
  if (run.error) throw run.error;
  return run.status ?? 1;
}

/** Sample arguments for a tool: a plain value for each required property, by its type. */
function sampleArguments(tool) {
  const schema = tool.inputSchema ?? {};
  const args = {};
  for (const name of schema.required ?? []) {
    const type = schema.properties?.[name]?.type;
    args[name] = type === "number" || type === "integer" ? 1 : type === "boolean" ? true : "test";
  }
  return args;
}

/** Lists the tools (as Lanyard exposes them) and calls each one; the worst exit code wins. */
function listAndCallEach(argsFor = sampleArguments) {
  const listed = lanyard(["tools", "--url", url, "--json"]);
  if (listed.status !== 0) return listed.status;
  let status = 0;
  for (const tool of JSON.parse(listed.stdout).tools ?? []) {
    const args = JSON.stringify(argsFor(tool));
    status = Math.max(status, lanyard(["call", "--url", url, tool.name, "--args", args]).status);
  }
  return status;
}

const ID = "conformance";
const SIGN_IN_NEEDED = 4; // lanyard's exit code that says: run `lanyard connect <id>`

/** A saved source signed in, its tools listed and `test-tool` called, as a person would do it. */
function signInAndCall(authArgs, extraEnv = {}) {
  const added = lanyard(["profile", "add", ID, "--url", url, ...authArgs], extraEnv);
  if (added.status !== 0) return added.status;
  const connected = lanyard(["connect", ID, "--timeout", "20"]);
  if (connected.status !== 0) return connected.status;
  const listed = withSignIn(["tools", ID]);
  if (listed !== 0) return listed;
  return withSignIn(["call", ID, "test-tool", "--args", "{}"]);
}

/** Runs a command; when lanyard answers "sign-in needed", signs in again and runs it once more. */
function withSignIn(args) {
  const first = lanyard(args).status;
  if (first !== SIGN_IN_NEEDED) return first;
  const again = lanyard(["connect", ID, "--timeout", "20"]);
  if (again.status !== 0) return again.status;
  return lanyard(args).status;
}

function run() {
  switch (scenario) {
    case "initialize":
    case "json-schema-ref-no-deref": // its server answers tools/list only
      return lanyard(["tools", "--url", url]).status;
    case "tools_call":
      return listAndCallEach(() => ({ a: 2, b: 3 }));
    case "json-schema-2020-12-preservation": {
      // Echo the schema Lanyard shows for the focal tool, so the server sees what Lanyard kept.
      const listed = lanyard(["tools", "--url", url, "--json"]);
      if (listed.status !== 0) return listed.status;
      const focal = JSON.parse(listed.stdout).tools?.find((t) => t.name === "json_schema_2020_12_tool");
      if (!focal) return 1;
      const args = JSON.stringify({ schema: focal.inputSchema });
      return lanyard(["call", "--url", url, "json_schema_echo", "--args", args]).status;
    }
    case "elicitation-sep1034-client-defaults": {
      // The server asks for a form whose fields all have defaults. A person at a terminal says
      // yes to answering, presses Enter at each field (SEP-1034: an empty answer is the
      // default), and Enter again to send.
      const listed = lanyard(["tools", "--url", url, "--json"]);
      if (listed.status !== 0) return listed.status;
      let status = 0;
      for (const tool of JSON.parse(listed.stdout).tools ?? []) {
        const typed = "y\n" + "\n".repeat(20);
        status = Math.max(status, lanyardAtTerminal(["call", "--url", url, tool.name, "--args", "{}"], typed));
      }
      return status;
    }
    case "http-custom-headers": {
      // The scenario names the calls to make (values that need header encoding).
      let status = 0;
      for (const call of context.toolCalls ?? []) {
        const args = JSON.stringify(call.arguments ?? {});
        status = Math.max(status, lanyard(["call", "--url", url, call.name, "--args", args]).status);
      }
      return status;
    }
    case "auth/client-credentials-basic":
      return signInAndCall(
        ["--auth", "client-credentials", "--client-id", context.client_id, "--client-secret-env", "CONFORMANCE_CLIENT_SECRET"],
        { CONFORMANCE_CLIENT_SECRET: context.client_secret },
      );
    case "auth/pre-registration":
      return signInAndCall(
        ["--auth", "oauth", "--client-id", context.client_id, "--client-secret-env", "CONFORMANCE_CLIENT_SECRET"],
        { CONFORMANCE_CLIENT_SECRET: context.client_secret },
      );
    case "auth/client-credentials-jwt": {
      // The key goes to a file of the run's home, as a person would keep it, and from there into
      // the keychain; the profile keeps the algorithm the scenario names.
      const keyFile = join(home, "client-key.pem");
      writeFileSync(keyFile, context.private_key_pem, { mode: 0o600 });
      const alg = context.signing_algorithm ? ["--client-key-alg", context.signing_algorithm] : [];
      return signInAndCall(
        ["--auth", "client-credentials", "--client-id", context.client_id, "--client-key-file", keyFile, ...alg],
      );
    }
    case "auth/wif-jwt-bearer": {
      // A workload whose platform keeps its identity token in a file (as Kubernetes projects a
      // service account token): the profile names the file, and Lanyard presents what it holds.
      const tokenFile = join(home, "workload-token.jwt");
      writeFileSync(tokenFile, context.valid_jwt, { mode: 0o600 });
      return signInAndCall(
        ["--auth", "client-credentials", "--client-id", context.client_id, "--assertion-file", tokenFile],
      );
    }
    case "auth/cross-app-access-complete-flow": // the stable suite's name for the same flow
    case "auth/enterprise-managed-authorization": {
      // The person signed in to the identity provider with another tool, which hands over the
      // ID token; Lanyard exchanges it for an identity assertion grant at the identity
      // provider and presents that at the MCP server's authorization server.
      const added = lanyard(
        [
          "profile", "add", ID, "--url", url, "--auth", "enterprise",
          "--idp-issuer", context.idp_issuer, "--idp-client-id", context.idp_client_id,
          "--idp-token-endpoint", context.idp_token_endpoint,
          "--client-id", context.client_id, "--client-secret-env", "CONFORMANCE_CLIENT_SECRET",
        ],
        { CONFORMANCE_CLIENT_SECRET: context.client_secret },
      );
      if (added.status !== 0) return added.status;
      const connected = lanyard(["connect", ID, "--id-token-env", "CONFORMANCE_ID_TOKEN"], {
        CONFORMANCE_ID_TOKEN: context.idp_id_token,
      });
      if (connected.status !== 0) return connected.status;
      const listed = lanyard(["tools", ID]).status;
      if (listed !== 0) return listed;
      return lanyard(["call", ID, "test-tool", "--args", "{}"]).status;
    }
    default:
      if (scenario.startsWith("auth/")) {
        // Every other auth scenario: the ordinary sign-in in the browser (no credentials given).
        return signInAndCall(["--auth", "oauth", "--client-metadata-url", CIMD_URL]);
      }
      return listAndCallEach();
  }
}

let status;
try {
  status = run();
} finally {
  rmSync(home, { recursive: true, force: true });
}
process.exit(status);
