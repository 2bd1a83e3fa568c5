import cluster from 'node:cluster';
import { createServer } from 'node:http';

// The baseline the ingest bench compares against: a node:http server that reads each body and JSON.parses
// it, and nothing else — the floor any JSON ingest endpoint on this machine costs. BARE_PROCESSES=N runs N of
// them on one port with node:cluster, as `footfall serve --processes N` does.
const processes = Number(process.env.BARE_PROCESSES ?? 1);
if (cluster.isPrimary && processes > 1) {
  for (let i = 0; i < processes; i++) cluster.fork();
  let announced = false;
  cluster.on('listening', (_worker, address) => {
    if (announced) return;
    announced = true;
    process.stdout.write(`listening on ${address.port}\n`);
  });
} else {
  serveBare();
}

function serveBare(): void {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      try {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"ok":true}');
      } catch {
        response.writeHead(400);
        response.end();
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    if (cluster.isWorker) return;
    const address = server.address();
    process.stdout.write(`listening on ${typeof address === 'object' && address ? address.port : 0}\n`);
  });
}
