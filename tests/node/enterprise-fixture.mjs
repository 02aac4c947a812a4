// Enterprise-managed authorization fixture for Lanyard's integration tests (tests/it/enterprise.rs).
//
// The identity provider is the OAuth fixture's oidc-provider (tests/node/oauth-fixture.mjs, started
// by the test; its issuer is --idp): people sign in there, and it issues the ID tokens and refresh
// tokens. oidc-provider has no RFC 8693 token exchange, so this process adds one, the way an
// enterprise identity provider offers it:
//
//   1. The identity provider's token endpoint as Lanyard sees it (`idp_token_endpoint`): a token
//      exchange request (grant_type token-exchange, an ID token as subject_token, requested_token_type
//      id-jag, audience, resource) is answered here with an Identity Assertion JWT Authorization Grant
//      (ID-JAG, `typ: oauth-id-jag+jwt`, signed with this process's ES256 key), after the ID token's
//      signature, issuer and audience are checked against oidc-provider's JWKS and the
//      audience/resource pair against the sites below. Every other request (refresh) is passed on to
//      oidc-provider's own token endpoint unchanged.
//   2. --sites N MCP "sites", each an authorization server and an MCP server on one origin: RFC 9728
//      and RFC 8414 metadata, a token endpoint that takes only the RFC 7523 JWT bearer grant with an
//      ID-JAG (client_secret_basic; signature, `typ`, `aud` = its issuer, `resource` = its MCP URL,
//      `client_id` = the authenticated client, `exp`, and `jti` never twice), and `/mcp`, which takes
//      only its own unexpired opaque tokens and passes the request on to an MCP server given by
//      --upstream (lanyard-test-server), recording whether `initialize` declared the extension.
//
// Ready line on stdout (one JSON object): the exchange endpoint, the IdP client registered for
// Lanyard at oidc-provider (public, loopback redirect), the sites' client id and secret, and each
// site's MCP URL and issuer. GET <exchange origin>/stats gives counters. Exits when stdin closes.

import crypto from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';

import * as jose from 'jose';

const { values: flags } = parseArgs({
  options: {
    idp: { type: 'string' },
    upstream: { type: 'string', multiple: true, default: [] },
    'access-ttl': { type: 'string', default: '300' },
  },
  strict: true,
});
if (!flags.idp || flags.upstream.length === 0) {
  process.stderr.write('usage: enterprise-fixture.mjs --idp ISSUER --upstream MCP_URL [--upstream MCP_URL...]\n');
  process.exit(2);
}
const log = (...args) => process.stderr.write(`[enterprise-fixture] ${args.join(' ')}\n`);
const accessTtl = Number(flags['access-ttl']);

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ID_TOKEN = 'urn:ietf:params:oauth:token-type:id_token';
const ID_JAG = 'urn:ietf:params:oauth:token-type:id-jag';
const EXTENSION = 'io.modelcontextprotocol/enterprise-managed-authorization';
const CLIENT_ID = 'lanyard-enterprise';
const CLIENT_SECRET = crypto.randomBytes(24).toString('base64url');

// The ID-JAGs issued, for the tests' leak check only (GET /issued-grants): they are bearer
// credentials, and the test searches everything Lanyard wrote and printed for them.
const issuedGrants = [];
const stats = { exchanges: 0, exchanges_refused: 0, passed_on: 0, grants: 0, grants_refused: 0, replays: 0, sites: [] };

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks);
}
function sendJson(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}
const listen = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));

// The identity provider's metadata and keys.
const idpConfig = await (await fetch(`${flags.idp}/.well-known/openid-configuration`)).json();
const idpKeys = jose.createRemoteJWKSet(new URL(idpConfig.jwks_uri));

// Lanyard's client at the identity provider: public, native, loopback redirect on any port.
const registered = await fetch(idpConfig.registration_endpoint, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    client_name: 'Lanyard (enterprise sign-in)',
    application_type: 'native',
    redirect_uris: ['http://127.0.0.1/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  }),
});
const idpClientId = (await registered.json()).client_id;
if (!idpClientId) throw new Error(`the identity provider did not register a client (${registered.status})`);

// The key ID-JAGs are signed with; every site trusts it for the identity provider's issuer.
const { publicKey: jagPublic, privateKey: jagPrivate } = await jose.generateKeyPair('ES256');

// ------------------------------------------------------------------------------------------------
// Sites: an authorization server and an MCP server each, on one origin
// ------------------------------------------------------------------------------------------------

const sites = [];
for (const upstream of flags.upstream) {
  const site = { upstream: new URL(upstream), tokens: new Map(), seenJti: new Set(), stats: { ok: 0, unauthorized: 0, declared_extension: 0, initialize: 0 } };
  site.server = http.createServer((req, res) => siteHandler(site, req, res).catch((err) => {
    log('site error:', err.stack ?? err);
    if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
  }));
  const port = await listen(site.server);
  site.origin = `http://127.0.0.1:${port}`;
  site.mcp = `${site.origin}/mcp`;
  stats.sites.push(site.stats);
  sites.push(site);
}

async function siteHandler(site, req, res) {
  const url = new URL(req.url, site.origin);
  if (req.method === 'GET' && url.pathname.startsWith('/.well-known/oauth-protected-resource')) {
    return sendJson(res, 200, { resource: site.mcp, authorization_servers: [site.origin], scopes_supported: ['mcp:read'] });
  }
  if (req.method === 'GET' && url.pathname === '/.well-known/oauth-authorization-server') {
    return sendJson(res, 200, {
      issuer: site.origin,
      token_endpoint: `${site.origin}/token`,
      grant_types_supported: [JWT_BEARER],
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
      authorization_grant_profiles_supported: ['urn:ietf:params:oauth:grant-profile:id-jag'],
    });
  }
  if (req.method === 'POST' && url.pathname === '/token') return siteToken(site, req, res);
  if (url.pathname === '/mcp') return siteMcp(site, req, res);
  sendJson(res, 404, { error: 'not_found' });
}

async function siteToken(site, req, res) {
  const form = new URLSearchParams((await readBody(req)).toString());
  const refuse = (status, error, why) => {
    stats.grants_refused += 1;
    log(`site ${site.origin} refused a grant: ${why}`);
    sendJson(res, status, { error, error_description: why });
  };
  const basic = req.headers.authorization?.startsWith('Basic ')
    ? Buffer.from(req.headers.authorization.slice(6), 'base64').toString()
    : '';
  const [client, secret] = basic.split(':').map((part) => decodeURIComponent(part ?? ''));
  if (client !== CLIENT_ID || secret !== CLIENT_SECRET) return refuse(401, 'invalid_client', 'client_secret_basic expected');
  if (form.get('grant_type') !== JWT_BEARER) return refuse(400, 'unsupported_grant_type', 'jwt-bearer only');
  const assertion = form.get('assertion') ?? '';
  let claims;
  try {
    const header = jose.decodeProtectedHeader(assertion);
    if (header.typ !== 'oauth-id-jag+jwt') return refuse(400, 'invalid_grant', `typ ${header.typ}`);
    ({ payload: claims } = await jose.jwtVerify(assertion, jagPublic, { issuer: flags.idp, audience: site.origin }));
  } catch (err) {
    return refuse(400, 'invalid_grant', `the ID-JAG does not verify: ${err.message}`);
  }
  if (claims.resource !== site.mcp) return refuse(400, 'invalid_grant', `resource ${claims.resource}`);
  if (claims.client_id !== client) return refuse(400, 'invalid_grant', `client_id ${claims.client_id}`);
  if (site.seenJti.has(claims.jti)) {
    stats.replays += 1;
    return refuse(400, 'invalid_grant', 'the ID-JAG was used before');
  }
  site.seenJti.add(claims.jti);
  const token = crypto.randomBytes(24).toString('base64url');
  site.tokens.set(token, { sub: claims.sub, exp: Date.now() + accessTtl * 1000 });
  stats.grants += 1;
  sendJson(res, 200, { access_token: token, token_type: 'Bearer', expires_in: accessTtl, scope: claims.scope ?? '' });
}

async function siteMcp(site, req, res) {
  const bearer = req.headers.authorization?.startsWith('Bearer ') ? req.headers.authorization.slice(7) : '';
  const held = site.tokens.get(bearer);
  if (!held || held.exp <= Date.now()) {
    site.stats.unauthorized += 1;
    res.writeHead(401, {
      'www-authenticate': `Bearer resource_metadata="${site.origin}/.well-known/oauth-protected-resource/mcp"`,
      'content-type': 'application/json',
    });
    return res.end(JSON.stringify({ error: 'invalid_token' }));
  }
  site.stats.ok += 1;
  const body = await readBody(req);
  if (req.method === 'POST') {
    try {
      const message = JSON.parse(body.toString());
      if (message.method === 'initialize' || message.method === 'server/discover') {
        site.stats.initialize += 1;
        // `initialize` carries the capabilities in its params; 2026-07-28 requests in `_meta`.
        const capabilities =
          message.params?.capabilities ?? message.params?._meta?.['io.modelcontextprotocol/clientCapabilities'];
        if (capabilities?.extensions?.[EXTENSION]) site.stats.declared_extension += 1;
      }
    } catch {
      // Not one JSON message: passed on as it is.
    }
  }
  // Passed on to the MCP server, streaming its answer (SSE included) back.
  const headers = { ...req.headers, host: site.upstream.host };
  delete headers.authorization;
  const forward = http.request(
    { host: site.upstream.hostname, port: site.upstream.port, path: site.upstream.pathname, method: req.method, headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  forward.on('error', (err) => sendJson(res, 502, { error: `upstream: ${err.message}` }));
  forward.end(body);
}

// ------------------------------------------------------------------------------------------------
// The identity provider's token endpoint with token exchange
// ------------------------------------------------------------------------------------------------

const exchange = http.createServer((req, res) => exchangeHandler(req, res).catch((err) => {
  log('exchange error:', err.stack ?? err);
  if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
}));
const exchangePort = await listen(exchange);
const exchangeOrigin = `http://127.0.0.1:${exchangePort}`;

async function exchangeHandler(req, res) {
  if (req.method === 'GET' && req.url === '/stats') return sendJson(res, 200, stats);
  if (req.method === 'GET' && req.url === '/issued-grants') return sendJson(res, 200, issuedGrants);
  if (req.method !== 'POST' || req.url !== '/token') return sendJson(res, 404, { error: 'not_found' });
  const raw = await readBody(req);
  const form = new URLSearchParams(raw.toString());
  if (form.get('grant_type') !== TOKEN_EXCHANGE) {
    // The rest of the identity provider's token endpoint is oidc-provider's.
    stats.passed_on += 1;
    const answer = await fetch(idpConfig.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': req.headers['content-type'] ?? 'application/x-www-form-urlencoded' },
      body: raw,
    });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    return res.end(Buffer.from(await answer.arrayBuffer()));
  }
  const refuse = (error, why) => {
    stats.exchanges_refused += 1;
    log(`token exchange refused: ${why}`);
    sendJson(res, 400, { error, error_description: why });
  };
  if (form.get('subject_token_type') !== ID_TOKEN) return refuse('invalid_request', 'subject_token_type');
  if (form.get('requested_token_type') !== ID_JAG) return refuse('invalid_request', 'requested_token_type');
  const clientId = form.get('client_id');
  if (clientId !== idpClientId) return refuse('invalid_client', `client ${clientId}`);
  let subject;
  try {
    ({ payload: subject } = await jose.jwtVerify(form.get('subject_token') ?? '', idpKeys, {
      issuer: flags.idp,
      audience: idpClientId,
    }));
  } catch (err) {
    return refuse('invalid_grant', `the ID token does not verify: ${err.message}`);
  }
  const site = sites.find((s) => s.origin === form.get('audience'));
  if (!site || form.get('resource') !== site.mcp) {
    return refuse('invalid_target', `audience ${form.get('audience')} and resource ${form.get('resource')} are no pair`);
  }
  const grant = await new jose.SignJWT({ sub: subject.sub, resource: site.mcp, client_id: CLIENT_ID, scope: form.get('scope') ?? undefined })
    .setProtectedHeader({ alg: 'ES256', typ: 'oauth-id-jag+jwt' })
    .setIssuer(flags.idp)
    .setAudience(site.origin)
    .setIssuedAt()
    .setExpirationTime('5m')
    .setJti(crypto.randomUUID())
    .sign(jagPrivate);
  stats.exchanges += 1;
  issuedGrants.push(grant);
  sendJson(res, 200, { access_token: grant, issued_token_type: ID_JAG, token_type: 'N_A', expires_in: 300 });
}

process.stdout.write(`${JSON.stringify({
  token_endpoint: `${exchangeOrigin}/token`,
  stats: `${exchangeOrigin}/stats`,
  issued_grants: `${exchangeOrigin}/issued-grants`,
  idp_client_id: idpClientId,
  client_id: CLIENT_ID,
  client_secret: CLIENT_SECRET,
  sites: sites.map((site) => ({ mcp: site.mcp, issuer: site.origin })),
})}\n`);

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
