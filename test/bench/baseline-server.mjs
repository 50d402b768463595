// The bare node:http baseline the protocol benchmarks compare against: GET → 204, and a JSON POST
// parsed and answered with small JSON (the shape of a heartbeat exchange). Prints its port. For
// memory.ts, a GET with `wait=` in its query is held and never answered (an idle agent's long-poll),
// and GET /held answers how many were held.
import http from 'node:http';

let held = 0;
const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url.includes('wait=')) {
    held++;
    return;
  }
  if (req.method === 'GET' && req.url === '/held') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ held }));
    return;
  }
  if (req.method === 'GET') {
    res.writeHead(204);
    res.end();
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const text = JSON.stringify({
      data: { pendingActions: [], rejectedResults: [], seen: body.appliedConfigVersion },
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () =>
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`),
);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
