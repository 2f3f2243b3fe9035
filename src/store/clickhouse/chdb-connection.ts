import { mkdirSync } from "node:fs";
import { UserError } from "../../errors.js";
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

/** Loads the optional chdb package, or says how to install it. */
async function loadChdb(): Promise<ChdbModule> {
  try {
    return (await import("chdb")) as unknown as ChdbModule;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND")
      throw new UserError(
        "engine-not-installed",
        "the chdb engine (ClickHouse in this process) needs the chdb package: run `npm install chdb` (about 550 MB)",
        "--db",
      );
    throw e;
  }
}

/**
 * chdb keeps one engine per data directory in a process: the connections of every store opened on the same
 * directory share it (counted, closed with the last).
 */
const OPEN = new Map<string, { session: ChdbSession; users: number; settings: Promise<void> }>();

/**
 * ClickHouse in this process, on a directory of its own. There is one chdb connection per directory, so the
 * store's sessions share it: their temporary tables carry the session's name (clickhouse-session.ts).
 */
export class ChdbConnection implements ClickHouseConnection {
  private constructor(
    private readonly dir: string,
    private readonly session: ChdbSession,
    private readonly ready: Promise<void>,
  ) {}

  static async open(dir: string): Promise<ChdbConnection> {
    const chdb = await loadChdb();
    let entry = OPEN.get(dir);
    if (entry === undefined) {
      mkdirSync(dir, { recursive: true });
      const session = new chdb.Session(dir);
      // Settings are the connection's: set once, they hold for every statement of every store session.
      const settings = (async () => {
        for (const [k, v] of Object.entries(SESSION_SETTINGS))
          await session.queryAsync(`SET ${k} = ${typeof v === "number" ? v : `'${v}'`}`);
      })();
      entry = { session, users: 0, settings };
      OPEN.set(dir, entry);
    }
    entry.users++;
    return new ChdbConnection(dir, entry.session, entry.settings);
  }

  async exec(text: string, params: Readonly<Record<string, unknown>>): Promise<void> {
    await this.ready;
    if (Object.keys(params).length > 0) await this.session.queryBindAsync(text, params);
    else await this.session.queryAsync(text);
  }

  async query(text: string, params: Readonly<Record<string, unknown>>): Promise<CompactResult> {
    await this.ready;
    const r =
      Object.keys(params).length > 0
        ? await this.session.queryBindAsync(text, params, { format: "JSONCompact" })
        : await this.session.queryAsync(text, { format: "JSONCompact" });
    const body = r.text();
    return body === "" ? { meta: [], data: [] } : (JSON.parse(body) as CompactResult);
  }

  async insertTsv(table: string, columns: readonly string[], body: string): Promise<void> {
    await this.ready;
    if (body.length === 0) return;
    await this.session.insert({ table, values: body, format: "TSV", columns });
  }

  async endSession(): Promise<void> {}

  async close(): Promise<void> {
    const entry = OPEN.get(this.dir);
    if (entry === undefined || --entry.users > 0) return;
    OPEN.delete(this.dir);
    await entry.settings.catch(() => undefined);
    entry.session.close();
  }
}
