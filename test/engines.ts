import { join } from "node:path";
import { tempDir } from "./helpers.js";

/**
 * The engines the conformance suite runs on (the engine registry's, src/store/engines.ts): every test that
 * takes a `TestEngine` runs once per engine with the same expectations. ClickHouse runs in process (chdb); a
 * server too when `TESSERA_TEST_CLICKHOUSE_URL` names one (each test gets a database of its own there).
 */
export interface TestEngine {
  readonly name: string;
  /** A new, empty database for one test. */
  location(): string;
}

let databases = 0;

export const TEST_ENGINES: readonly TestEngine[] = [
  { name: "duckdb", location: () => join(tempDir("tessera-duckdb-"), "test.duckdb") },
  // chdb holds one data directory per process at a time: a test closes its store before the next one opens.
  { name: "chdb", location: () => `chdb:${tempDir("tessera-chdb-")}` },
  ...(process.env.TESSERA_TEST_CLICKHOUSE_URL
    ? [
        {
          name: "clickhouse",
          location: () => {
            const url = new URL(process.env.TESSERA_TEST_CLICKHOUSE_URL as string);
            url.pathname = `/tessera_test_${process.pid}_${++databases}`;
            return url.toString();
          },
        },
      ]
    : []),
];
