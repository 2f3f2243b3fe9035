import { engineOf } from "./engines.js";
import { migrate } from "./migrations.js";
import type { Session, Store } from "./store.js";

/**
 * Opens (creating if needed) a Tessera database for many callers and brings its schema up to date. `location`
 * names the engine and where the data lives (engines.ts): a path is a DuckDB file.
 */
export async function openStore(location: string): Promise<Store> {
  const store = await engineOf(location).open(location);
  try {
    await store.write(migrate);
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}

/**
 * Opens a database for a single caller (a script, a test, a benchmark case): one session that owns its store,
 * so closing the session closes the database.
 */
export async function openSession(location: string): Promise<Session> {
  const store = await openStore(location);
  const session = await store.session();
  // A closed store takes no new sessions and closes the database when its last one closes: this one.
  void store.close();
  return session;
}
