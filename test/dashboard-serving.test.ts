/**
 * How `tessera serve` serves the dashboard (src/server/dashboard.ts), without a browser: the page and its assets
 * from a built folder, compressed as the client accepts (the copies made at build time, byte for byte the file),
 * with cache headers and a content security policy; a view's own address is the page; `/api/…` stays the API's
 * (a JSON 404); `GET /api/me` says who a key is; `serve({ dashboardKey })` makes one key per start, revoking the
 * last start's.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from "node:zlib";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openForServing, type Store } from "../src/operations/index.js";
import { buildServer } from "../src/server/app.js";
import { builtDashboard } from "../src/server/dashboard.js";
import { serve } from "../src/server/serve.js";
import { apiKey, emptyDb, tempDir, writeFile } from "./helpers.js";

const PAGE =
  '<!doctype html><html><head><script type="module" src="/assets/app-1a2b3c.js"></script></head></html>';
const SCRIPT = `console.log(${JSON.stringify("x".repeat(2000))});`;

/** A built dashboard as vite.config.ts writes one: the page, a hashed asset, and their gzip and Brotli copies. */
function builtFolder(): string {
  const dir = tempDir();
  mkdirSync(join(dir, "assets"));
  for (const [name, text] of [
    ["index.html", PAGE],
    ["assets/app-1a2b3c.js", SCRIPT],
  ] as const) {
    writeFile(dir, name, text);
    writeFile(dir, `${name}.gz`, gzipSync(text));
    writeFile(dir, `${name}.br`, brotliCompressSync(text));
  }
  return dir;
}

describe("the dashboard's files", () => {
  let store: Store;
  let app: FastifyInstance;
  let analyst: string;
  beforeAll(async () => {
    const db = await emptyDb(join(tempDir(), "serving.duckdb"));
    analyst = (await apiKey(db, "analyst")).key;
    store = await openForServing(db);
    app = buildServer(store, { dashboard: builtFolder() });
  });
  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  it("serves the page, checked at each load, with a policy that lets it reach only this server", async () => {
    const r = await app.inject({ method: "GET", url: "/" });
    expect(r.statusCode).toBe(200);
    expect(r.body).toBe(PAGE);
    expect(r.headers["content-type"]).toMatch(/^text\/html/);
    expect(r.headers["cache-control"]).toBe("no-cache");
    expect(r.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(r.headers["content-security-policy"]).toContain("connect-src 'self'");
    expect(r.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("sends an asset compressed as the client accepts (Brotli first), the bytes the same, cached for good", async () => {
    const url = "/assets/app-1a2b3c.js";
    const br = await app.inject({ method: "GET", url, headers: { "accept-encoding": "gzip, br" } });
    expect(br.headers["content-encoding"]).toBe("br");
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(SCRIPT);
    expect(br.rawPayload.length).toBeLessThan(SCRIPT.length / 10);
    expect(br.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    const gz = await app.inject({ method: "GET", url, headers: { "accept-encoding": "gzip" } });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gz.rawPayload).toString()).toBe(SCRIPT);
    const plain = await app.inject({ method: "GET", url, headers: { "accept-encoding": "identity" } });
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(plain.body).toBe(SCRIPT);
  });

  it("answers a view's own address with the page, and leaves the API's addresses to the API", async () => {
    for (const url of ["/builder", "/segments/champions", "/segments/a%20b?x=1"]) {
      const r = await app.inject({ method: "GET", url });
      expect([url, r.statusCode, r.body]).toEqual([url, 200, PAGE]);
    }
    const api = await app.inject({ method: "GET", url: "/api/no-such" });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toEqual({
      error: { code: "no-such-route", message: "no route GET /api/no-such", path: null },
    });
    const write = await app.inject({ method: "POST", url: "/builder" });
    expect(write.statusCode).toBe(404);
    // Nothing outside the built folder: a path that climbs out is the page (a view's address), never a file.
    const climb = await app.inject({ method: "GET", url: "/assets/..%2f..%2fpackage.json" });
    expect(climb.body).not.toContain('"name"');
  });

  it("says who a key is and what its role may do (GET /api/me); no key, a 401", async () => {
    const none = await app.inject({ method: "GET", url: "/api/me" });
    expect(none.statusCode).toBe(401);
    expect(none.headers["www-authenticate"]).toBe("Bearer");
    const me = await app.inject({
      method: "GET",
      url: "/api/me",
      headers: { authorization: `Bearer ${analyst}` },
    });
    expect(me.statusCode).toBe(200);
    const body = me.json() as { role: string; permissions: string[]; id: string };
    expect(body.role).toBe("analyst");
    // src/access/roles.ts: an analyst reads aggregates and fits models, nothing more.
    expect(body.permissions).toEqual(["read:aggregates", "write:values"]);
    expect(analyst).toContain(body.id);
  });
});

describe("serve --dashboard", () => {
  it("prints the address with a new admin key at each start, the last start's revoked", async () => {
    const before = process.env.TESSERA_DASHBOARD_DIR;
    process.env.TESSERA_DASHBOARD_DIR = builtFolder();
    try {
      const db = join(tempDir(), "dash.duckdb");
      const keyOf = (url: string | null) => /#key=(tsk_\S+)$/.exec(url ?? "")?.[1] as string;
      const who = async (url: string, key: string) =>
        (await fetch(`${url}/api/me`, { headers: { authorization: `Bearer ${key}` } })).status;
      const first = await serve({
        db,
        port: 0,
        dashboardKey: true,
        liveRefreshMs: null,
        deliveryPollMs: null,
      });
      const firstKey = keyOf(first.dashboardUrl);
      expect(first.dashboardUrl).toBe(`${first.url}/#key=${firstKey}`);
      expect(await who(first.url, firstKey)).toBe(200);
      await first.close();
      const second = await serve({
        db,
        port: 0,
        dashboardKey: true,
        liveRefreshMs: null,
        deliveryPollMs: null,
      });
      try {
        const secondKey = keyOf(second.dashboardUrl);
        expect(secondKey).not.toBe(firstKey);
        expect(await who(second.url, secondKey)).toBe(200);
        expect(await who(second.url, firstKey)).toBe(401);
        // Served without a key of its own: the address alone.
        expect((await fetch(`${second.url}/`)).status).toBe(200);
      } finally {
        await second.close();
      }
      // No dashboard built: the API alone, and no address to print.
      process.env.TESSERA_DASHBOARD_DIR = tempDir();
      expect(builtDashboard()).toBeNull();
      const bare = await serve({
        db,
        port: 0,
        dashboardKey: true,
        liveRefreshMs: null,
        deliveryPollMs: null,
      });
      try {
        expect(bare.dashboardUrl).toBeNull();
        expect((await fetch(`${bare.url}/`)).status).toBe(404);
      } finally {
        await bare.close();
      }
    } finally {
      if (before === undefined) delete process.env.TESSERA_DASHBOARD_DIR;
      else process.env.TESSERA_DASHBOARD_DIR = before;
    }
  });
});
