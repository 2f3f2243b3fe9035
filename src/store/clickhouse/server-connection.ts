import { Readable } from "node:stream";
import { UserError } from "../../errors.js";
import { importOptional } from "../optional-package.js";
import type { OpenOptions } from "../store.js";
import { type ClickHouseConnection, type CompactResult, SESSION_SETTINGS } from "./clickhouse-connection.js";
import { clickhouseDialect } from "./clickhouse-dialect.js";

/** The part of `@clickhouse/client` this connection uses (loaded only when a `clickhouse://` store is opened). */
interface ClientModule {
  createClient(config: {
    url: string;
    username?: string;
    password?: string;
    database?: string;
    clickhouse_settings?: Record<string, unknown>;
  }): Client;
}

interface Client {
  command(p: { query: string; query_params?: object; session_id?: string }): Promise<unknown>;
  query(p: {
    query: string;
    query_params?: object;
    format: "JSONCompact";
    session_id?: string;
  }): Promise<{ json<T>(): Promise<T> }>;
  insert(p: {
    table: string;
    values: Readable;
    format: "TabSeparated";
    columns?: [string, ...string[]];
    session_id?: string;
  }): Promise<unknown>;
  close(): Promise<void>;
}

/** Where a `clickhouse://USER:PASSWORD@HOST:PORT/DATABASE` URL points. */
export interface ServerAddress {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly database: string;
}

/** Reads a `clickhouse://` (HTTP) or `clickhouses://` (HTTPS) URL; a clear error names what is wrong. */
export function parseServerUrl(text: string): ServerAddress {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UserError(
      "bad-db-url",
      `"${text}" is not a URL (expected clickhouse://USER:PASSWORD@HOST:PORT/DATABASE)`,
      "--db",
    );
  }
  if (u.protocol !== "clickhouse:" && u.protocol !== "clickhouses:")
    throw new UserError(
      "bad-db-url",
      `"${text}": expected the clickhouse:// or clickhouses:// scheme`,
      "--db",
    );
  if (u.hostname === "") throw new UserError("bad-db-url", `"${text}": the URL names no host`, "--db");
  const database = decodeURIComponent(u.pathname.replace(/^\//, "")) || "default";
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database))
    throw new UserError("bad-db-url", `"${text}": "${database}" is not a database name`, "--db");
  const scheme = u.protocol === "clickhouses:" ? "https" : "http";
  return {
    url: `${scheme}://${u.hostname}:${u.port || (scheme === "https" ? "8443" : "8123")}`,
    username: decodeURIComponent(u.username) || "default",
    password: decodeURIComponent(u.password),
    database,
  };
}

/**
 * A ClickHouse server (or cluster) over HTTP. Each store session is a server session (`session_id`), which keeps
 * its temporary tables; the settings travel with every request.
 */
export class ServerConnection implements ClickHouseConnection {
  private constructor(
    private readonly client: Client,
    readonly address: ServerAddress,
  ) {}

  static async open(address: ServerAddress, options: OpenOptions): Promise<ServerConnection> {
    const { createClient } = await importOptional<ClientModule>(
      () => import("@clickhouse/client"),
      "a clickhouse:// database",
      "npm install @clickhouse/client",
    );
    const config = { url: address.url, username: address.username, password: address.password };
    // The database is created on first use by a command that writes, as a DuckDB file is; one that reads needs it.
    const admin = createClient(config);
    let exists = true;
    try {
      if (options.create)
        await admin.command({
          query: `CREATE DATABASE IF NOT EXISTS ${clickhouseDialect.quoteIdent(address.database)}`,
        });
      else {
        const r = await admin.query({
          query: "SELECT count() FROM system.databases WHERE name = {name:String}",
          query_params: { name: address.database },
          format: "JSONCompact",
        });
        exists = Number((await r.json<CompactResult>()).data[0]?.[0] ?? 0) > 0;
      }
    } catch (e) {
      throw new UserError(
        "engine-unreachable",
        `cannot reach ClickHouse at ${address.url} (database ${address.database}): ${(e as Error).message}`,
        "--db",
      );
    } finally {
      await admin.close();
    }
    if (!exists)
      throw new UserError(
        "no-database",
        `the ClickHouse server at ${address.url} has no database ${address.database} (commands that read need an existing one; a command that writes, such as import, creates it)`,
        "--db",
      );
    const client = createClient({
      ...config,
      database: address.database,
      clickhouse_settings: { ...SESSION_SETTINGS },
    });
    return new ServerConnection(client, address);
  }

  async exec(text: string, params: Readonly<Record<string, unknown>>, session: string): Promise<void> {
    await this.client.command({ query: text, query_params: params, session_id: session });
  }

  async query(
    text: string,
    params: Readonly<Record<string, unknown>>,
    session: string,
  ): Promise<CompactResult> {
    const r = await this.client.query({
      query: text,
      query_params: params,
      format: "JSONCompact",
      session_id: session,
    });
    return r.json<CompactResult>();
  }

  async insertTsv(table: string, columns: readonly string[], body: string, session: string): Promise<void> {
    if (body.length === 0 || columns.length === 0) return;
    await this.client.insert({
      table,
      values: Readable.from([body]),
      format: "TabSeparated",
      columns: columns as [string, ...string[]],
      session_id: session,
    });
  }

  async endSession(): Promise<void> {}

  async close(): Promise<void> {
    await this.client.close();
  }
}
