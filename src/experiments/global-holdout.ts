import { holdoutDraw } from "../activation/holdout.js";
import { reportMinGroup, sizeHidden } from "../privacy/k-gate.js";
import type { Dialect, Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { hashDrawSql } from "./assignment-draw.js";

/**
 * The global holdout (issue 20, item 1): a share of ALL customers that stays out of every campaign (a send records
 * them as `global-holdout` and gives them nothing) and every experiment (assigned the variant `holdout`), so that
 * the long-run effect of all marketing can be measured against them. Who is in it is a draw from a fixed seed and
 * the person's id alone: raising the share from 5% to 7% keeps the 5% and adds people, lowering it lets the people
 * drawn above the new share go; nobody is ever reshuffled.
 *
 * The share is kept as a setting (a row `global_holdout` of `privacy_settings`, the database's key-value
 * settings, latest row wins); each change is recorded in the audit log.
 */

/** The seed of the global holdout's draw: fixed, so every database draws the same people for the same ids. */
export const GLOBAL_HOLDOUT_SEED = "tessera:global-holdout";

const SETTING = "global_holdout";

export interface GlobalHoldout {
  /** The share held out, 0 to < 1 (0: none). */
  readonly share: number;
  readonly updatedAt: string | null;
  readonly updatedBy: string | null;
}

/** The global holdout in force. */
export async function readGlobalHoldout(engine: Engine): Promise<GlobalHoldout> {
  const r = await engine.query(
    sql`SELECT value, updated_at, updated_by FROM privacy_settings WHERE name = ${SETTING} ORDER BY updated_at DESC LIMIT 1`,
  );
  const row = r.rows<{ value: string; updated_at: unknown; updated_by: string }>()[0];
  if (!row) return { share: 0, updatedAt: null, updatedBy: null };
  const share = Number(row.value);
  const at = row.updated_at instanceof Date ? row.updated_at : new Date(String(row.updated_at));
  return {
    share: Number.isFinite(share) && share >= 0 && share < 1 ? share : 0,
    updatedAt: Number.isNaN(at.getTime()) ? null : at.toISOString(),
    updatedBy: row.updated_by ?? null,
  };
}

/** Sets the share (checked by the caller: 0 ≤ share < 1); returns the share before. */
export async function writeGlobalHoldout(engine: Engine, share: number, who: string): Promise<number> {
  const previous = (await readGlobalHoldout(engine)).share;
  await engine.run(engine.dialect.deleteWhere("privacy_settings", sql`name = ${SETTING}`));
  await engine.run(
    sql`INSERT INTO privacy_settings (name, value, updated_at, updated_by)
        VALUES (${SETTING}, ${String(share)}, ${engine.dialect.now()}, ${who})`,
  );
  return previous;
}

/** Whether a person is in the global holdout of this share. */
export function isGloballyHeldOut(customerId: string, share: number): boolean {
  return share > 0 && holdoutDraw(GLOBAL_HOLDOUT_SEED, customerId) < share;
}

/** SQL condition: the person whose id is `customerId` is in the global holdout of this share. */
export function globallyHeldOutSql(d: Dialect, customerId: Sql, share: number): Sql {
  if (!(share > 0)) return sql`FALSE`;
  return sql`(${hashDrawSql(d, GLOBAL_HOLDOUT_SEED, customerId)} < ${sql.param(share, "number")})`;
}

/** How many customers there are and how many the share holds out now (the latter k-gated against the rest). */
export async function globalHoldoutCounts(
  engine: Engine,
  share: number,
): Promise<{ customers: number; heldOut: number | null }> {
  const d = engine.dialect;
  const r = await engine.query(
    sql`SELECT count(*) AS customers,
               ${d.aggIf("count", [], globallyHeldOutSql(d, sql`customer_id`, share))} AS held_out
          FROM customers`,
  );
  const customers = Number(r.column("customers")[0] ?? 0);
  const heldOut = Number(r.column("held_out")[0] ?? 0);
  const k = await reportMinGroup(engine);
  return { customers, heldOut: sizeHidden(heldOut, customers, k) ? null : heldOut };
}
