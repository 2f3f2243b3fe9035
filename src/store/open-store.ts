import { isUserError, UserError } from "../errors.js";
import { engineOf } from "./engines.js";
import { LATEST_SCHEMA_VERSION, migrate, schemaVersion } from "./migrate.js";
import { FOR_WRITING, type OpenOptions, type Session, type Store } from "./store.js";

/**
 * Opens a Tessera database for many callers, with its schema up to date. `location` names the engine and where
 * the data lives (engines.ts): a path is a DuckDB file. `options` (default: for writing, created when missing)
 * come from the operation's access: a command that only reads needs the database to exist and opens it
 * read-only where the engine can.
 *
 * Migrations write, so a read-only open cannot run them: a database of the current schema is used as it is; one
 * of an older schema (made by an earlier Tessera) is reopened for writing once, migrated, and used so — the
 * upgrade any command would make — and when it cannot be written (a read-only file, another process reading it)
 * the error says that its schema needs an upgrade, which writes.
 */
export async function openStore(location: string, options: OpenOptions = FOR_WRITING): Promise<Store> {
  const store = await engineOf(location).open(location, options);
  let version: number | null = LATEST_SCHEMA_VERSION;
  try {
    if (options.access === "write") {
      await store.write(migrate);
      return store;
    }
    version = await store.read(schemaVersion);
    // A newer schema than this Tessera knows is read as it is, as a write command would leave it.
    if (version !== null && version >= LATEST_SCHEMA_VERSION) return store;
  } catch (e) {
    await store.close();
    throw e;
  }
  await store.close();
  if (version === null)
    throw new UserError(
      "not-a-tessera-database",
      "is a database, but not a Tessera one (it holds tables and no record of Tessera's schema)",
      location,
    );
  try {
    return await openStore(location, { access: "write", create: false });
  } catch (e) {
    if (!isUserError(e)) throw e;
    throw new UserError(
      e.code,
      `its schema (version ${version}) is older than this Tessera's (${LATEST_SCHEMA_VERSION}), and upgrading it writes: ${e.reason}`,
      e.where,
    );
  }
}

/**
 * Opens a database for a single caller (a script, a test, a benchmark case): one session that owns its store,
 * so closing the session closes the database.
 */
export async function openSession(location: string, options: OpenOptions = FOR_WRITING): Promise<Session> {
  const store = await openStore(location, options);
  const session = await store.session();
  // A closed store takes no new sessions and closes the database when its last one closes: this one.
  void store.close();
  return session;
}
