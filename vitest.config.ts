import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // One scratch root per run in the temporary folder, TMPDIR pointing into it, removed when the run ends.
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // DuckDB uses both cores per query; two test files at a time keeps the run fast without thrashing.
    maxWorkers: 2,
  },
});
