import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers.js";
import { isUserError, type UserError } from "../errors.js";
import { chdbLimits } from "./clickhouse/chdb-connection.js";
import { SESSION_SETTINGS } from "./clickhouse/clickhouse-connection.js";
import { parseServerUrl } from "./clickhouse/server-connection.js";
import { engineOf } from "./engines.js";
import { openSession, openStore } from "./open-store.js";
import { importOptional } from "./optional-package.js";
import { FOR_WRITING } from "./store.js";

async function userError(work: Promise<unknown>): Promise<UserError> {
  const e = await work.then(
    () => null,
    (err: unknown) => err,
  );
  expect(isUserError(e), String(e)).toBe(true);
  return e as UserError;
}

describe("the engine registry, by URL", () => {
  it("takes a plain path or duckdb: as DuckDB, chdb: as ClickHouse in process, clickhouse:// as a server", () => {
    expect(engineOf("./tessera.duckdb").scheme).toBe("duckdb");
    expect(engineOf("/abs/path/x.db").scheme).toBe("duckdb");
    expect(engineOf(":memory:").scheme).toBe("duckdb");
    expect(engineOf("C:\\data\\x.duckdb").scheme).toBe("duckdb");
    expect(engineOf("duckdb:./x.duckdb").scheme).toBe("duckdb");
    expect(engineOf("chdb:./data").scheme).toBe("chdb");
    expect(engineOf("clickhouse://u:p@host:8123/db").scheme).toBe("clickhouse");
    expect(engineOf("clickhouses://u:p@host/db").scheme).toBe("clickhouse");
  });

  it("names the engines it knows when asked for another", () => {
    let e: unknown;
    try {
      engineOf("postgres://localhost/x");
    } catch (err) {
      e = err;
    }
    expect(isUserError(e)).toBe(true);
    expect((e as UserError).message).toMatch(
      /no engine is called "postgres".*duckdb:PATH.*chdb:DIR.*clickhouse:\/\//,
    );
  });

  it("reads a server URL: user, password, host, port, database; HTTPS with clickhouses://", () => {
    expect(parseServerUrl("clickhouse://ann:s%40cret@ch.example:9000/shop")).toEqual({
      url: "http://ch.example:9000",
      username: "ann",
      password: "s@cret",
      database: "shop",
    });
    expect(parseServerUrl("clickhouses://ch.example/")).toEqual({
      url: "https://ch.example:8443",
      username: "default",
      password: "",
      database: "default",
    });
    expect(parseServerUrl("clickhouse://localhost").url).toBe("http://localhost:8123");
  });

  it("refuses a server URL it cannot use, saying why", async () => {
    expect(() => parseServerUrl("clickhouse://")).toThrow(/not a URL|no host/);
    expect(() => parseServerUrl("clickhouse://h/bad-name;drop")).toThrow(/is not a database name/);
    expect(() => parseServerUrl("http://h/db")).toThrow(/clickhouse:\/\//);
    await expect(engineOf("chdb:").open("chdb:", FOR_WRITING)).rejects.toThrow(/needs a directory/);
  });

  it("says a server cannot be reached, naming it (a user error, not a crash)", async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const e = await userError(openStore("clickhouse://default:@127.0.0.1:1/tessera"));
    expect(e.code).toBe("engine-unreachable");
    expect(e.message).toContain("cannot reach ClickHouse at http://127.0.0.1:1 (database tessera)");
  });

  it("says which package to install when an engine's package is missing", async () => {
    const missing = () =>
      Promise.reject(
        Object.assign(new Error("Cannot find package 'chdb'"), { code: "ERR_MODULE_NOT_FOUND" }),
      );
    const e = await userError(
      importOptional(missing, "the chdb engine (ClickHouse in this process)", "npm install chdb"),
    );
    expect(e.code).toBe("engine-not-installed");
    expect(e.message).toBe(
      "--db: the chdb engine (ClickHouse in this process) needs a package that is not installed: run `npm install chdb`",
    );
    // Any other failure while loading is not mistaken for a missing package.
    await expect(importOptional(() => Promise.reject(new Error("boom")), "x", "y")).rejects.toThrow("boom");
  });

  it("opens one chdb directory at a time in a process, and says so when another is open", async () => {
    const a = await openStore(`chdb:${tempDir()}`);
    const wait = chdbLimits.waitForCloseMs;
    chdbLimits.waitForCloseMs = 100;
    try {
      const e = await userError(openStore(`chdb:${tempDir()}`));
      expect(e.code).toBe("engine-busy");
      expect(e.message).toMatch(/chdb holds one data directory per process/);
    } finally {
      chdbLimits.waitForCloseMs = wait;
      await a.close();
    }
    // Once closed, another directory opens.
    const b = await openStore(`chdb:${tempDir()}`);
    await b.close();
  }, 30_000);

  it("runs every chdb statement with the session settings the shared SQL relies on", async () => {
    const engine = await openSession(`chdb:${tempDir()}`);
    try {
      const names = Object.keys(SESSION_SETTINGS);
      const r = await engine.query(
        `SELECT ${names.map((n) => `toString(getSetting('${n}')) AS ${n}`).join(", ")}`,
      );
      // Booleans read back as true/false, numbers and words as written.
      const asSet = (v: string | number) =>
        v === 1 ? ["1", "true"] : v === 0 ? ["0", "false"] : [String(v)];
      for (const n of names)
        expect(asSet(SESSION_SETTINGS[n] as string | number), n).toContain(r.column(n)[0]);
    } finally {
      engine.close();
    }
  }, 30_000);
});
