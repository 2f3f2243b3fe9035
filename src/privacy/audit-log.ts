import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";

/**
 * One sensitive action (issue 17, item 7): who did what, to how many people, under which purpose. Reads of
 * person-level data, exports, erasures, access requests and setting changes are recorded; the erased data never is.
 */
export interface SensitiveAction {
  /** The caller, as `Caller.who` names them. */
  readonly who: string;
  /** The operation or action: `segment.members`, `privacy.erase`, `privacy.settings`. */
  readonly action: string;
  /** What it was about, without personal data: `segment=vip`, `setting=min_group 10`. */
  readonly subject?: string;
  /** The purpose the caller gave, when the action reaches people for a use. */
  readonly purpose?: string | null;
  /** How many people the action reached. */
  readonly people: number;
}

/**
 * Appends an entry to the audit log.
 * TODO(audit-log helper, session 11): hash chain, purpose column (migration 10); this first form keeps the
 * session-10 columns so callers can be written against the final signature.
 */
export async function recordSensitiveAction(engine: Engine, entry: SensitiveAction): Promise<void> {
  const what = [entry.action, entry.subject, entry.purpose ? `purpose=${entry.purpose}` : undefined]
    .filter(Boolean)
    .join(" ");
  await engine.run(
    sql`INSERT INTO audit_log (who, what, ${sql.ident("at")}, people)
        VALUES (${entry.who}, ${what}, ${engine.dialect.now()}, ${sql.param(entry.people, "integer")})`,
  );
}
