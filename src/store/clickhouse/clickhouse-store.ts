import { SessionStore } from "../session-store.js";
import type { Session } from "../store.js";
import type { ClickHouseConnection } from "./clickhouse-connection.js";
import { clickhouseDialect } from "./clickhouse-dialect.js";
import { ClickHouseSession } from "./clickhouse-session.js";

/**
 * A ClickHouse database for many callers: in this process (chdb, a directory) or on a server. Sessions share
 * the connection; writes are queued as on every store. Reads are not snapshots (ClickHouse has no
 * transactions): a read running beside a write may see part of it.
 */
export class ClickHouseStore extends SessionStore {
  readonly dialect = clickhouseDialect;
  constructor(
    location: string,
    private readonly connection: ClickHouseConnection,
    /** chdb runs in this process: true; a server has other clients: false. */
    readonly exclusive: boolean,
  ) {
    super(location);
  }

  protected async openSession(onClose: () => void): Promise<Session> {
    return new ClickHouseSession(this.connection, this.location, onClose);
  }

  protected async closeDatabase(): Promise<void> {
    await this.connection.close();
  }
}
