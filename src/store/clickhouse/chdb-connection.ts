import { mkdirSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { UserError } from "../../errors.js";
import { importOptional } from "../optional-package.js";
import type { OpenOptions } from "../store.js";
import { type ClickHouseConnection, type CompactResult, SESSION_SETTINGS } from "./clickhouse-connection.js";

/** The part of the chdb package this connection uses (loaded only when a `chdb:` store is opened). */
interface ChdbSession {
  queryAsync(query: string, opts?: { format?: string }): Promise<{ text(): string }>;
  queryBindAsync(query: string, params: object, opts?: { format?: string }): Promise<{ text(): string }>;
  insert(params: {
    table: string;
    values: string;
    format: "TSV";
    columns?: readonly string[];
  }): Promise<unknown>;
  close(): void;
}

interface ChdbModule {
  Session: new (path?: string) => ChdbSession;
}

/**
 * chdb runs one data directory per process at a time: every store opened on it shares its connection (counted,
 * closed with the last). Another directory can be opened once that one is closed.
 */
let active: {
  dir: string;
  session: ChdbSession;
  users: number;
  ready: Promise<void>;
  closed: Promise<void>;
  release: () => void;
} | null = null;

/**
 * How long opening another directory waits for the open one to close (its last session may be finishing: a
 * closed session drops its temporary tables before its store lets the directory go).
 */
export const chdbLimits = { waitForCloseMs: 10_000 };

/**
 * A chdb database is a directory: one that does not exist is created only for a command that writes (a command
 * that reads names a missing one as an error), and a file in its place is refused, saying so.
 */
function checkDirectory(dir: string, options: OpenOptions): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch {
    if (options.create) return;
    throw new UserError(
      "no-database",
      "no such database directory (commands that read need an existing one; a command that writes, such as import, creates it)",
      `chdb:${dir}`,
    );
  }
  if (!isDirectory)
    throw new UserError(
      "not-a-database",
      "is a file; chdb: names a directory (a DuckDB file needs no scheme)",
      `chdb:${dir}`,
    );
}

/**
 * ClickHouse in this process, on a directory of its own. The store's sessions share the one chdb connection:
 * their temporary tables carry the session's name (clickhouse-session.ts).
 */
export class ChdbConnection implements ClickHouseConnection {
  private closed = false;

  private constructor(
    private readonly session: ChdbSession,
    private readonly ready: Promise<void>,
    readonly dataDirectory: string,
  ) {}

  static async open(dir: string, options: OpenOptions): Promise<ChdbConnection> {
    checkDirectory(dir, options);
    const chdb = await importOptional<ChdbModule>(
      () => import("chdb"),
      "the chdb engine (ClickHouse in this process)",
      "npm install chdb",
    );
    const wanted = resolve(dir);
    if (active !== null && active.dir !== wanted) {
      const other = active;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        other.closed,
        new Promise<void>((done) => {
          timer = setTimeout(done, chdbLimits.waitForCloseMs);
        }),
      ]);
      clearTimeout(timer);
    }
    if (active !== null && active.dir !== wanted)
      throw new UserError(
        "engine-busy",
        `chdb holds one data directory per process and ${active.dir} is open: close it before opening ${wanted}`,
        "--db",
      );
    if (active === null) {
      mkdirSync(wanted, { recursive: true });
      const session = new chdb.Session(wanted);
      // Settings are the connection's: set once, they hold for every statement of every store session.
      const ready = (async () => {
        for (const [k, v] of Object.entries(SESSION_SETTINGS))
          await session.queryAsync(`SET ${k} = ${typeof v === "number" ? v : `'${v}'`}`);
      })();
      let release = () => {};
      const closed = new Promise<void>((done) => {
        release = done;
      });
      active = { dir: wanted, session, users: 0, ready, closed, release };
    }
    active.users++;
    return new ChdbConnection(active.session, active.ready, active.dir);
  }

  async exec(text: string, params: Readonly<Record<string, unknown>>): Promise<void> {
    await this.ready;
    await this.cleanAfterFailure(async () => {
      if (Object.keys(params).length > 0) await this.session.queryBindAsync(text, params);
      else await this.session.queryAsync(text);
    });
  }

  async query(text: string, params: Readonly<Record<string, unknown>>): Promise<CompactResult> {
    await this.ready;
    const body = await this.cleanAfterFailure(async () => {
      const r =
        Object.keys(params).length > 0
          ? await this.session.queryBindAsync(text, params, { format: "JSONCompact" })
          : await this.session.queryAsync(text, { format: "JSONCompact" });
      return r.text();
    });
    return body === "" ? { meta: [], data: [] } : (JSON.parse(body) as CompactResult);
  }

  /**
   * chdb 3.4 leaves the output a failed query had written so far in the connection's buffer, in front of the
   * next query's: a throwaway query after a failure takes it, so the next result is whole.
   */
  private async cleanAfterFailure<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      await this.session.queryAsync("SELECT 1", { format: "JSONCompact" }).catch(() => undefined);
      throw e;
    }
  }

  async insertTsv(table: string, columns: readonly string[], body: string): Promise<void> {
    await this.ready;
    if (body.length === 0) return;
    await this.session.insert({ table, values: body, format: "TSV", columns });
  }

  async endSession(): Promise<void> {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const entry = active;
    if (entry === null || entry.session !== this.session || --entry.users > 0) return;
    active = null;
    await entry.ready.catch(() => undefined);
    entry.session.close();
    entry.release();
  }
}
