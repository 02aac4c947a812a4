// An MCP registry served from the test, over the same `server.json` fixtures the engine's
// integration tests read (tests/fixtures/catalog, with `{{MCP_URL}}` and `{{REGISTRY}}` filled
// in): `GET /v0/servers` (`search` on the name, `version=latest`, a cursor two entries a page),
// `/v0/servers/{name}/versions` and `/v0/servers/{name}/versions/{version}`, as
// tests/it/support/registry.rs serves them. It records each request it got.
import { createServer } from "node:http";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

const FIXTURES = join(import.meta.dirname, "..", "..", "tests", "fixtures", "catalog");
const PAGE = 2;

/** Serves the fixtures on 127.0.0.1; remotes point at `mcpUrl`. */
export async function startRegistry(mcpUrl) {
  const requests = [];
  let entries = [];
  const server = createServer((req, res) => {
    requests.push(req.url);
    const url = new URL(req.url, "http://registry");
    const send = (status, body) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const latest = (e) => e._meta?.["io.modelcontextprotocol.registry/official"]?.isLatest !== false;
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    if (parts.length === 2 && parts[0] === "v0" && parts[1] === "servers") {
      const search = (url.searchParams.get("search") ?? "").toLowerCase();
      const matching = entries
        .filter((e) => e.server.name.toLowerCase().includes(search))
        .filter((e) => url.searchParams.get("version") !== "latest" || latest(e));
      const start = Number(url.searchParams.get("cursor") ?? "0");
      const page = matching.slice(start, start + PAGE);
      const nextCursor = start + PAGE < matching.length ? String(start + PAGE) : null;
      return send(200, { servers: page, metadata: { count: page.length, nextCursor } });
    }
    if (parts[0] === "v0" && parts[1] === "servers" && parts[3] === "versions") {
      const named = entries.filter((e) => e.server.name === parts[2]);
      if (parts.length === 4 && named.length) return send(200, { servers: named, metadata: { count: named.length } });
      const wanted = parts[4];
      const one = named.find((e) => e.server.version === wanted || (wanted === "latest" && latest(e)));
      if (parts.length === 5 && one) return send(200, one);
    }
    return send(404, { error: "Server not found" });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  const files = (await readdir(FIXTURES)).filter((f) => f.endsWith(".json")).sort();
  for (const file of files) {
    const text = (await readFile(join(FIXTURES, file), "utf8")).replaceAll("{{MCP_URL}}", mcpUrl).replaceAll("{{REGISTRY}}", url);
    const value = JSON.parse(text);
    entries.push(value.server ? value : { server: value, _meta: {} });
  }
  return {
    url,
    requests: () => [...requests],
    stop: () => server.close(),
  };
}
