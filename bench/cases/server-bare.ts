import { open } from "node:fs/promises";
import { createServer } from "node:http";

/**
 * argv: file. The baseline of `npm run bench -- server`: a bare node:http server that appends each request's body
 * to a file and answers once it is synced, one fdatasync per group of requests (the limit of this machine for a
 * durable acknowledgement), and nothing else: no parsing, no checks, no store. Reports its port, runs until
 * SIGTERM, then reports its peak memory.
 */
const [path] = process.argv.slice(2) as [string];
const file = await open(path, "a");
let pending: { body: Buffer; done: () => void }[] = [];
let writing = false;
async function drain(): Promise<void> {
  writing = true;
  while (pending.length > 0) {
    const group = pending;
    pending = [];
    await file.write(Buffer.concat(group.map((g) => g.body)));
    await file.datasync();
    for (const g of group) g.done();
  }
  writing = false;
}
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    pending.push({
      body: Buffer.concat([...chunks, Buffer.from("\n")]),
      done: () => res.writeHead(200, { "content-type": "application/json" }).end('{"success":true}'),
    });
    if (!writing) void drain();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  const address = server.address() as { port: number };
  process.send?.({ port: address.port });
});
process.on("SIGTERM", () => {
  server.close();
  process.send?.({ peakMiB: Math.round(process.resourceUsage().maxRSS / 1024) }, () => process.exit(0));
});
