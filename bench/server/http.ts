import { type Agent, request } from "node:http";

/** One HTTP request on loopback through a keep-alive agent: its status and body (status 0: the connection failed). */
export function call(
  agent: Agent,
  port: number,
  method: "GET" | "POST",
  path: string,
  authorization: string,
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request(
      {
        agent,
        host: "127.0.0.1",
        port,
        path,
        method,
        headers: {
          authorization,
          ...(body === undefined
            ? {}
            : { "content-type": "application/json", "content-length": Buffer.byteLength(body) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on("error", () => resolve({ status: 0, body: "" }));
    req.end(body);
  });
}

/** The value at fraction `q` of sorted numbers (0.99: the 99th percentile), rounded to 0.1. */
export function percentile(sorted: readonly number[], q: number): number {
  const v = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;
  return Math.round(v * 10) / 10;
}

export const basic = (key: string): string => `Basic ${Buffer.from(`${key}:`).toString("base64")}`;
export const bearer = (key: string): string => `Bearer ${key}`;
