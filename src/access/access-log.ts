import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";

/**
 * Records a read of person-level data in the audit log (`audit_log`: who, what, when, how many people): every
 * answer that names people is accounted for (issue 16: "every read of person-level data is recorded").
 */
export async function recordPersonalRead(
  engine: Engine,
  who: string,
  what: string,
  people: number,
): Promise<void> {
  await engine.run(
    // `at` is a keyword of some engines: quoted.
    sql`INSERT INTO audit_log (who, what, ${sql.ident("at")}, people)
        VALUES (${who}, ${what}, ${engine.dialect.now()}, ${sql.param(people, "integer")})`,
  );
}

/** The audit log, newest first (at most `limit` entries). */
export async function auditLog(
  engine: Engine,
  limit: number,
): Promise<{ who: string; what: string; at: string; people: number }[]> {
  const r = await engine.query(
    sql`SELECT who, what, ${sql.ident("at")} AS at, people FROM audit_log ORDER BY ${sql.ident("at")} DESC LIMIT ${sql.param(limit, "integer")}`,
  );
  return r
    .rows<{ who: string; what: string; at: Date; people: unknown }>()
    .map((x) => ({ who: x.who, what: x.what, at: x.at.toISOString(), people: Number(x.people) }));
}
