import { z } from "zod";
import { consentLeafSql } from "../segments/consent-leaf.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { gated, reportMinGroup, suppressPartition } from "./k-gate.js";
import { suppressedSql } from "./suppression.js";

/**
 * The consent gate (issue 17, item 1; DESIGN.md principle 5): every path that yields people for a use — segment
 * members today, audiences, exports and campaign sends next — names a purpose and a channel and passes only the
 * people whose latest consent for that purpose and channel is granted, less the suppression list.
 *
 * "Latest consent" has one implementation: the segment language's consent leaf (`{"consent": purpose, "channel":
 * channel}`), compiled by the segment compiler (records of the channel or channel-less ones; a denial at the same
 * instant as a grant wins), so a segment `consent("marketing", "email")` and the gate never disagree.
 *
 * The types make the gate the only way to people for a use: `consentedPeople` is the one function that yields
 * their ids, it takes a `Use` (a purpose and a channel, both branded: only the schemas below make them), and it
 * returns `ConsentedPeople`, a type no other module can build, which whatever sends, exports or lists people takes.
 */

/** A name as the consent ledger stores it: trimmed, lower case (as imports store purposes and channels). */
const ledgerName = (what: string) =>
  z
    .string({ error: `a ${what} is required` })
    .trim()
    .toLowerCase()
    .min(1, `a ${what} is required`)
    .max(100, `a ${what} is at most 100 characters`)
    .refine((s) => !/\p{Cc}/u.test(s), `a ${what} has no control characters`);

/** A purpose of use (`marketing`, `analytics`): what the person consented to. */
export const PurposeSchema = ledgerName("purpose").brand<"Purpose">();
export type Purpose = z.output<typeof PurposeSchema>;

/** A channel (`email`, `sms`, `push`): how the person is reached. */
export const ChannelSchema = ledgerName("channel").brand<"Channel">();
export type Channel = z.output<typeof ChannelSchema>;

/** What people are wanted for: both parts required. */
export const UseSchema = z.strictObject({ purpose: PurposeSchema, channel: ChannelSchema });
export type Use = z.output<typeof UseSchema>;

/** The input fields of every operation that yields people for a use (spread into its schema). */
export const useFields = { purpose: PurposeSchema, channel: ChannelSchema };

/** Makes a `Use` from text (a test, a caller holding strings): checked as an input is. */
export function useOf(purpose: string, channel: string): Use {
  return UseSchema.parse({ purpose, channel });
}

declare const consented: unique symbol;

/**
 * People the gate passed for a use: their ids (in id order) and how many candidates it left out, each count
 * through the k-gate. Only `consentedPeople` makes one (the brand is a symbol no other module can name).
 */
export interface ConsentedPeople {
  readonly [consented]: true;
  readonly use: Use;
  /** The ids passed, in id order (at most the limit asked for). */
  readonly ids: readonly string[];
  /** How many passed (all of them, whatever the limit). */
  readonly passed: number;
  /** Candidates left out, by why; null where the k-gate suppressed the count. */
  readonly leftOut: LeftOut;
}

export interface LeftOut {
  /** Without a granted consent for the purpose on the channel (the latest record is not a grant, or none). */
  readonly noConsent: number | null;
  /** On the suppression list (every channel, or this one), whatever they consented to. */
  readonly suppressionList: number | null;
  /** Whether the k-gate hid a count (`null` above). */
  readonly suppressed: boolean;
}

const GATE = "_consent_gate";

/**
 * People the gate passed for a use, as a relation the engine holds (one column, `customer_id`), for work that
 * joins them with more data in SQL (an export's contact fields, a delivery's difference with what a destination
 * was told) rather than reading their ids into JavaScript. Valid only inside the `withConsentedPeople` callback
 * that received it; only the gate makes one.
 */
export interface ConsentedRelation {
  readonly [consented]: true;
  readonly use: Use;
  /** `SELECT customer_id FROM …`: the people passed (use it as a subquery). */
  readonly sql: Sql;
  readonly passed: number;
  readonly leftOut: LeftOut;
}

/**
 * Runs the gate over `candidates` (a query selecting customer ids) and gives `work` the people it passed as a
 * relation, dropped when `work` ends: the people among the candidates who may be used for `use` now (the latest
 * consent for its purpose and channel is granted, as the segment language's consent leaf says, as of now) and are
 * not on the suppression list for the channel. Candidates no longer in the store (erased) are not counted.
 */
export async function withConsentedPeople<T>(
  engine: Engine,
  candidates: Sql,
  use: Use,
  work: (people: ConsentedRelation) => Promise<T>,
  opts: { at?: Date } = {},
): Promise<T> {
  const d = engine.dialect;
  const at = opts.at ?? new Date();
  const gate = sql.temp(GATE);
  const { rows, holds } = consentLeafSql(d, use.purpose, use.channel, at, candidates);
  await engine.run(
    d.createTempAs(
      GATE,
      sql`SELECT f.customer_id AS customer_id,
                 CASE WHEN f.customer_id IN (${suppressedSql(d, use.channel)}) THEN 'suppressed'
                      WHEN ${holds} THEN 'passed' ELSE 'no-consent' END AS verdict
            FROM (${rows}) f`,
    ),
  );
  try {
    const counts = await engine.query(sql`SELECT verdict, count(*) AS n FROM ${gate} GROUP BY verdict`);
    const n = new Map(counts.rows<{ verdict: string; n: unknown }>().map((r) => [r.verdict, Number(r.n)]));
    // The two counts add up to what the caller can work out (the candidates less those passed): one hidden
    // alone would be the other's difference, so they are suppressed together (complementary suppression).
    const cells = [n.get("no-consent") ?? 0, n.get("suppressed") ?? 0];
    const k = await reportMinGroup(engine);
    const { hidden } = suppressPartition(cells, k);
    const relation = {
      use,
      sql: sql`SELECT customer_id FROM ${gate} WHERE verdict = 'passed'`,
      passed: n.get("passed") ?? 0,
      leftOut: {
        noConsent: gated(cells[0] as number, hidden[0] === true),
        suppressionList: gated(cells[1] as number, hidden[1] === true),
        suppressed: hidden.some(Boolean),
      },
    };
    return await work(relation as unknown as ConsentedRelation);
  } finally {
    await engine.run(sql`DROP TABLE IF EXISTS ${gate}`);
  }
}

/**
 * The people among `candidates` who may be used for `use` now (`withConsentedPeople`), their ids read in id order
 * (at most `limit`).
 */
export async function consentedPeople(
  engine: Engine,
  candidates: Sql,
  use: Use,
  opts: { limit?: number; at?: Date } = {},
): Promise<ConsentedPeople> {
  return withConsentedPeople(
    engine,
    candidates,
    use,
    async (people) => {
      const limit = opts.limit ? sql` LIMIT ${sql.param(Math.floor(opts.limit), "integer")}` : sql.empty;
      const ids = await engine.query(sql`${people.sql} ORDER BY customer_id${limit}`);
      const out = {
        use,
        ids: ids.column("customer_id") as string[],
        passed: people.passed,
        leftOut: people.leftOut,
      };
      return out as unknown as ConsentedPeople;
    },
    opts,
  );
}
