// A loopback proxy in front of `lanyard serve` for the conformance suite's server scenarios.
//
// The suite sends no headers of its own choosing, and the hub admits only requests that carry the
// bridge token. This proxy adds the token (as `Lanyard-Bridge-Token`, read from the environment
// variable LANYARD_CONFORMANCE_TOKEN so that it never shows in a process listing) and changes
// nothing else: the body streams through both ways unchanged (SSE included), and `Host` keeps its
// name with only the port moved to the hub's, so a foreign `Host` or `Origin` (the DNS-rebinding
// scenario) still reaches the hub's own check. The hub's security is untouched; this runs only in
// scripts/conformance.sh, on 127.0.0.1.
//
//   LANYARD_CONFORMANCE_TOKEN=... node token-proxy.mjs <hub port>
// prints `listening on http://127.0.0.1:<port>` once it accepts connections.
import http from "node:http";

const hubPort = Number(process.argv[2]);
const token = process.env.LANYARD_CONFORMANCE_TOKEN;
if (!Number.isInteger(hubPort) || hubPort <= 0 || !token) {
    console.error("usage: LANYARD_CONFORMANCE_TOKEN=<token> node token-proxy.mjs <hub port>");
    process.exit(2);
}

const server = http.createServer((incoming, outgoing) => {
    const headers = { ...incoming.headers, "lanyard-bridge-token": token };
    const ownPort = server.address().port;
    if (typeof headers.host === "string" && headers.host.endsWith(`:${ownPort}`)) {
        headers.host = `${headers.host.slice(0, -String(ownPort).length)}${hubPort}`;
    }
    const upstream = http.request(
        { host: "127.0.0.1", port: hubPort, method: incoming.method, path: incoming.url, headers },
        (answer) => {
            outgoing.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
            outgoing.flushHeaders();
            answer.pipe(outgoing);
        },
    );
    upstream.on("error", (err) => {
        if (!outgoing.headersSent) outgoing.writeHead(502, { "content-type": "text/plain" });
        outgoing.end(`token-proxy: ${err.message}`);
    });
    // The suite closes SSE streams it is done with; the hub should see that too.
    outgoing.on("close", () => upstream.destroy());
    incoming.pipe(upstream);
});
server.listen(0, "127.0.0.1", () => {
    console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
