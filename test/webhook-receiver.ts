import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local webhook receiver for tests (127.0.0.1, a free port): answers each request as a script says and keeps
 * what it got; and the Standard Webhooks signature computed from the specification's formula, not with our signer.
 */

/** What a receiver got: the three headers, the body as sent, and the status it answered (null: none). */
export interface Received {
  readonly id: string;
  readonly timestamp: string;
  readonly signature: string;
  readonly body: string;
  answered: number | null;
}

/** The signature the specification defines: v1,base64(HMAC-SHA256(key, id.timestamp.body)), key = the secret's bytes. */
export function expectedSignature(secret: string, id: string, timestamp: string, body: string): string {
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}

export type Answer = { status: number; delayMs?: number; headers?: Record<string, string> };

/** A local receiver: answers the n-th request (0-based, and what it got) as `script` says. */
export async function receiver(script: (n: number, r: Received) => Answer = () => ({ status: 200 })) {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r: Received = {
        id: String(req.headers["webhook-id"]),
        timestamp: String(req.headers["webhook-timestamp"]),
        signature: String(req.headers["webhook-signature"]),
        body: Buffer.concat(chunks).toString("utf8"),
        answered: null,
      };
      const answer = script(received.length, r);
      received.push(r);
      setTimeout(() => {
        if (res.destroyed) return;
        r.answered = answer.status;
        res.writeHead(answer.status, answer.headers ?? {}).end("ok");
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
