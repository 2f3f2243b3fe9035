import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply } from "fastify";

/**
 * The dashboard (issue 21, `web/`): built by `npm run build` into `dist/web` (hashed file names under `assets/`,
 * each with a gzip and a Brotli copy made at build time) and served here at `/` beside the API, from the same
 * origin (no CORS, the key sent only to this server). The page holds no data: every view calls the HTTP API with
 * the key, under the roles and gates of any other client.
 */

/**
 * `dist/web` of this package, found from this module (dist/src/server or src/server under tests), or the folder
 * `TESSERA_DASHBOARD_DIR` names (a dashboard built elsewhere: `TESSERA_WEB_OUT=DIR vite build`); null when it holds
 * no built page.
 */
export function builtDashboard(): string | null {
  const given = process.env.TESSERA_DASHBOARD_DIR;
  if (given) return existsSync(join(given, "index.html")) ? given : null;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, "package.json"))) {
      const web = join(dir, "dist", "web");
      return existsSync(join(web, "index.html")) ? web : null;
    }
    dir = dirname(dir);
  }
  return null;
}

/**
 * What the page may do: load only this server's scripts and styles, call only this server (no request leaves the
 * machine). Plot sets inline styles on its figures, hence 'unsafe-inline' for styles (not scripts).
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/** A hashed asset never changes under its name: cached for a year; anything else (the page) checked each time. */
function cacheControl(path: string): string {
  return /[\\/]assets[\\/]/.test(path) ? "public, max-age=31536000, immutable" : "no-cache";
}

/**
 * Serves the built dashboard at `/` (the page) and `/assets/…`, compressed as the client accepts (the copies made
 * at build time), with cache headers; `page(reply)` answers the page itself, for the views' own paths
 * (`/segments/x`), which the page routes in the browser.
 */
export function registerDashboard(app: FastifyInstance, dir: string): (reply: FastifyReply) => FastifyReply {
  void app.register(fastifyStatic, {
    root: dir,
    prefix: "/",
    preCompressed: true,
    wildcard: false,
    index: "index.html",
    cacheControl: false,
    setHeaders: (res, path) => {
      res.setHeader("cache-control", cacheControl(path));
      res.setHeader("content-security-policy", CONTENT_SECURITY_POLICY);
      res.setHeader("x-content-type-options", "nosniff");
      res.setHeader("referrer-policy", "no-referrer");
    },
  });
  return (reply) => reply.sendFile("index.html");
}
