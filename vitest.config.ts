import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // DuckDB uses both cores per query; two test files at a time keeps the run fast without thrashing.
    maxWorkers: 2,
  },
});
