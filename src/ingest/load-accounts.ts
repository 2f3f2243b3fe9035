import { accountMembersSql } from "../store/accounts.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import type { LoadCounts } from "./load-counts.js";
import { STAGE_TABLE, type TypedExtra } from "./validate.js";

/** Each account's latest given values (a session temporary table). */
const PROFILES = "_import_accounts";
/** The accounts this import adds or changes, with their new values. */
const CHANGED = "_import_accounts_changed";

/**
 * Writes staged account rows into `accounts` (no identity resolution: an account id names the company): a given
 * trait value replaces the stored one, an empty cell keeps it, and when several rows describe one account the
 * later row wins trait by trait (as a customers import updates profiles). A new account id is a new row. Rows
 * that would change nothing count as already present.
 *
 * The members of every account added or changed (people with a group event naming it) are marked for the next
 * segment refresh, as an import marks the people whose data it brings: their account traits changed, so an
 * incremental refresh evaluates them again (src/segments/incremental.ts).
 */
export async function loadAccounts(
  engine: Engine,
  traits: readonly TypedExtra[],
  valid: number,
): Promise<LoadCounts> {
  const d = engine.dialect;
  const id = sql.ident;
  const fields = traits.map((t) => ({ target: t.name, source: `x_${t.name}` }));
  const latest = fields.map(
    (f) =>
      sql`, ${d.aggIf("argMax", [sql`s.${id(f.source)}`, sql`s._row`], sql`s.${id(f.source)} IS NOT NULL`)} AS ${id(f.target)}`,
  );
  await engine.run(
    d.createTempAs(
      PROFILES,
      sql`SELECT s.account_id AS account_id${sql.join(latest, "")}
            FROM ${STAGE_TABLE} s WHERE s._reject_field IS NULL GROUP BY s.account_id`,
    ),
  );
  // Every value the row gives equals what the stored account holds.
  const same: Sql = fields.length
    ? sql.join(
        fields.map((f) => sql`(s.${id(f.source)} IS NULL OR s.${id(f.source)} = a.${id(f.target)})`),
        " AND ",
      )
    : sql`TRUE`;
  // The account comes out of the import as it was (rows of one account that disagree leave the later value each
  // time: importing them again changes nothing either).
  const unchanged: Sql = fields.length
    ? sql.join(
        fields.map(
          (f) => sql`coalesce(p.${id(f.target)}, a.${id(f.target)}) IS NOT DISTINCT FROM a.${id(f.target)}`,
        ),
        " AND ",
      )
    : sql`TRUE`;
  const present = await engine.query(
    sql`SELECT count(*) AS n FROM ${STAGE_TABLE} s JOIN accounts a ON a.account_id = s.account_id
          JOIN ${sql.temp(PROFILES)} p ON p.account_id = s.account_id
         WHERE s._reject_field IS NULL AND ((${same}) OR (${unchanged}))`,
  );
  const merged = fields.map((f) => sql`, coalesce(p.${id(f.target)}, a.${id(f.target)}) AS ${id(f.target)}`);
  await engine.run(
    d.createTempAs(
      CHANGED,
      sql`SELECT p.account_id AS account_id, a.account_id AS stored_id${sql.join(merged, "")}
            FROM ${sql.temp(PROFILES)} p LEFT JOIN accounts a ON a.account_id = p.account_id
           WHERE a.account_id IS NULL OR NOT (${unchanged})`,
    ),
  );
  const now = d.now();
  const changed = sql.temp(CHANGED);
  const names = fields.map((f) => id(f.target));
  // SDKs send a group call with the same traits on every visit: when nothing changed, the members are not looked
  // for (a scan of the events' types) and nothing is written.
  const changes = Number((await engine.query(sql`SELECT count(*) AS n FROM ${changed}`)).column("n")[0]);
  if (changes > 0)
    await engine.run([
      sql`INSERT INTO segment_dirty (customer_id, marked_at, since)
            SELECT DISTINCT m.customer_id, ${now}, ${d.cast(sql`NULL`, "timestamp")} FROM (${accountMembersSql(d)}) m
             WHERE m.account_id IN (SELECT account_id FROM ${changed})`,
      ...d.updateFrom({
        table: "accounts",
        columns: await engine.tableColumns("accounts"),
        key: "account_id",
        source: sql`(SELECT * FROM ${changed} WHERE stored_id IS NOT NULL)`,
        set: [...fields.map((f) => [f.target, sql`src.${id(f.target)}`] as const), ["updated_at", now]],
      }),
      sql`INSERT INTO accounts (account_id, ${sql.join([...names, sql`created_at`, sql`updated_at`])})
          SELECT account_id, ${sql.join([...names.map((n) => sql`c.${n}`), now, now])}
            FROM ${changed} c WHERE c.stored_id IS NULL`,
    ]);
  await engine.run([sql`DROP TABLE ${sql.temp(PROFILES)}`, sql`DROP TABLE ${changed}`]);
  const alreadyPresent = Number(present.column("n")[0]);
  return { inserted: valid - alreadyPresent, alreadyPresent };
}
