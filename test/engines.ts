import { copyFileSync, cpSync, existsSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./helpers.js";

/**
 * The engines the conformance suite runs on (the engine registry's, src/store/engines.ts): every test that
 * takes a `TestEngine` runs once per engine with the same expectations. ClickHouse runs in process (chdb); a
 * server too when `TESSERA_TEST_CLICKHOUSE_URL` names one (each test gets a database of its own there).
 */
export interface TestEngine {
  readonly name: string;
  /** A new database for one test: empty of data, its schema migrated (or not yet created). */
  location(): string;
}

let databases = 0;

/** A new database for one test: a copy of the run's migrated template (test/global-setup.ts) when there is one. */
function duckdbLocation(): string {
  const path = join(tempDir("tessera-duckdb-"), "test.duckdb");
  const template = process.env.TESSERA_TEST_TEMPLATE_DUCKDB;
  if (template) {
    copyFileSync(template, path);
    if (existsSync(`${template}.wal`)) copyFileSync(`${template}.wal`, `${path}.wal`);
  }
  return path;
}

function chdbLocation(): string {
  const dir = tempDir("tessera-chdb-");
  const template = process.env.TESSERA_TEST_TEMPLATE_CHDB;
  if (template) cpSync(template, dir, { recursive: true });
  return `chdb:${dir}`;
}

export const TEST_ENGINES: readonly TestEngine[] = [
  { name: "duckdb", location: duckdbLocation },
  // chdb holds one data directory per process at a time: a test closes its store before the next one opens.
  { name: "chdb", location: chdbLocation },
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
