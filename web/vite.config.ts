import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { defineConfig, type Plugin } from "vite";

// Where the bundle goes: dist/web, which `tessera serve` serves (or TESSERA_WEB_OUT, for a build beside another).
const OUT = process.env.TESSERA_WEB_OUT ?? new URL("../dist/web/", import.meta.url).pathname;

/** Every file of a folder, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * Writes a gzip and a Brotli copy beside every text file of the bundle, once at build time, so the server sends
 * the smallest its client accepts without compressing at each request (@fastify/static's `preCompressed`).
 */
function precompress(): Plugin {
  return {
    name: "tessera-precompress",
    apply: "build",
    closeBundle() {
      for (const file of filesUnder(OUT)) {
        if (!/\.(js|css|html|svg|json)$/.test(file)) continue;
        const bytes = readFileSync(file);
        writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }));
        writeFileSync(
          `${file}.br`,
          brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
        );
      }
    },
  };
}

// The dashboard (issue 21): Preact views built into dist/web, which `tessera serve` serves at `/`.
export default defineConfig({
  root: new URL(".", import.meta.url).pathname,
  base: "/",
  logLevel: "warn",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: OUT,
    emptyOutDir: true,
    target: "es2022",
    // Source maps stay out of the shipped bundle: the dashboard is small enough to read as built.
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  plugins: [precompress()],
});
