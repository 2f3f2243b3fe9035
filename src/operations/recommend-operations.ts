/**
 * The recommender's operations (src/predict/CONTEXT.md): `recommend.fit` (a write: the model and every customer's
 * list), `recommend` (a read: one customer's list, a segment's members' lists, an item's lists, or the base's
 * favourites; lists of people are recorded in the audit log) and `recommend.evaluate` (a read: a time split beside
 * the popularity baseline). Results are the CLI's `--json` documents.
 */
import { z } from "zod";
import { UserError } from "../errors.js";
import {
  fitRecommender,
  RECOMMEND_DEFAULTS,
  RECOMMENDATIONS,
  type RecommendFit,
  storedModel,
} from "../predict/recommend.js";
import { evaluateRecommender, type RecommendEvaluation } from "../predict/recommend-evaluate.js";
import {
  type CustomerRecommendations,
  customerRecommendations,
  favourites,
  type ItemLists,
  itemLists,
  type RecommendedItem,
  segmentMembers,
} from "../predict/recommend-lists.js";
import {
  type Channel,
  ChannelSchema,
  type LeftOut,
  type Purpose,
  PurposeSchema,
  type Use,
  withConsentedPeople,
} from "../privacy/consent-gate.js";
import { reportMinGroup } from "../privacy/k-gate.js";
import { requireEvaluated, requireSegment } from "../segments/segment-store.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { type AsOfChoice, chooseAsOf } from "./as-of.js";
import { defineOperation } from "./operation.js";
import { isoTime, minGroup } from "./schema-types.js";

const modelOptions = {
  /** EASE's L2 regularisation λ. */
  lambda: z.number().positive().max(1e9).default(RECOMMEND_DEFAULTS.lambda),
  /** Items in the model: the most bought (the inverse costs n³/2). */
  maxItems: z.number().int().min(1).max(10_000).default(RECOMMEND_DEFAULTS.maxItems),
  /** Weights kept per item. */
  neighbours: z.number().int().min(1).max(10_000).default(RECOMMEND_DEFAULTS.neighbours),
};

export const RecommendFitInput = z
  .object({
    /** Learn from purchases before this time (default: the end of the data: operations/as-of.ts). */
    asOf: isoTime.optional(),
    ...modelOptions,
    /** Recommendations stored per customer. */
    stored: z.number().int().min(1).max(100).default(RECOMMEND_DEFAULTS.stored),
  })
  .strict();

/** `recommend.fit`: EASE^R on purchases before the as-of time; every buyer's top items stored. */
export const recommendFitOperation = defineOperation({
  name: "recommend.fit",
  summary:
    "learn item-to-item weights (EASE^R) from order lines and store every customer's top unbought items",
  input: RecommendFitInput,
  access: "write",
  run: async (session, input): Promise<RecommendFit & { asOfChoice: AsOfChoice }> => {
    const { asOf, choice } = await chooseAsOf(session, input.asOf);
    return { ...(await fitRecommender(session, { ...input, asOf })), asOfChoice: choice };
  },
});

export const RecommendInput = z
  .object({
    customer: z.string().min(1).optional(),
    segment: z.string().min(1).optional(),
    item: z.string().min(1).optional(),
    top: z.number().int().min(1).max(100).default(10),
    minGroup: minGroup.optional(),
    /** With `segment`: what its members' lists are for, and how they would be reached (the consent gate). */
    purpose: PurposeSchema.optional(),
    channel: ChannelSchema.optional(),
  })
  .strict();

export type RecommendResult =
  | { readonly kind: "customer"; readonly asOf: string; readonly customer: CustomerRecommendations }
  | {
      readonly kind: "segment";
      readonly asOf: string;
      readonly segment: string;
      readonly purpose: string;
      readonly channel: string;
      readonly favourites: RecommendedItem[];
      readonly customers: CustomerRecommendations[];
      /** Members left out by the consent gate, by why (k-gated counts). */
      readonly leftOut: LeftOut;
    }
  | { readonly kind: "item"; readonly asOf: string; readonly item: ItemLists }
  | {
      readonly kind: "base";
      readonly asOf: string;
      readonly customers: number;
      readonly favourites: RecommendedItem[];
    };

/**
 * `recommend`: one of a customer's list (`customer`), every current member's list of a saved segment with the
 * segment's favourites (`segment`: members without purchases get those, said so; only the members the consent
 * gate passes for `purpose` and `channel`, then required), an item's bought-together and upsell lists (`item`), or,
 * with none, the base's favourites.
 */
export const recommendOperation = defineOperation({
  name: "recommend",
  summary:
    "a customer's or a segment's members' top unbought items, an item's bought-together and upsell lists",
  input: RecommendInput,
  access: "read",
  people: {
    count: (r: RecommendResult) =>
      r.kind === "customer" ? 1 : r.kind === "segment" ? r.customers.length : 0,
    subject: (i) => (i.segment ? `segment=${i.segment}` : undefined),
  },
  run: async (session, input): Promise<RecommendResult> => {
    const chosen = [input.customer, input.segment, input.item].filter((x) => x !== undefined).length;
    if (chosen > 1)
      throw new UserError("bad-option", "give at most one of customer, segment and item", "customer");
    const model = await storedModel(session);
    const asOf = model.asOf.toISOString();
    const k = await reportMinGroup(session, input.minGroup);
    if (input.customer !== undefined)
      return {
        kind: "customer",
        asOf,
        customer: await customerRecommendations(session, input.customer, input.top, k),
      };
    if (input.item !== undefined)
      return { kind: "item", asOf, item: await itemLists(session, input.item, input.top, k) };
    if (input.segment !== undefined) {
      await requireSegment(session, input.segment);
      await requireEvaluated(session, [input.segment], "recommend --segment");
      const use = segmentUse(input.purpose, input.channel);
      const members = segmentMembers(input.segment);
      // The favourites are an aggregate over every member (k-gated); the lists go only to those who consented.
      const fav = await favourites(session, members, input.top, k);
      return withConsentedPeople(session, members, use, async (people) => {
        const customers = await memberLists(session, people.sql, input.top, asOf, fav);
        return {
          kind: "segment",
          asOf,
          segment: input.segment as string,
          ...use,
          favourites: fav,
          customers,
          leftOut: people.leftOut,
        };
      });
    }
    return {
      kind: "base",
      asOf,
      customers: model.customers,
      favourites: await favourites(session, null, input.top, k),
    };
  },
});

/** The purpose and channel a segment's lists are for: both required (the consent gate), each named when missing. */
function segmentUse(purpose: Purpose | undefined, channel: Channel | undefined): Use {
  for (const [field, value] of [
    ["purpose", purpose],
    ["channel", channel],
  ] as const)
    if (value === undefined)
      throw new UserError(
        "bad-option",
        "a segment's members are listed only for a purpose and a channel they consented to",
        field,
      );
  return { purpose: purpose as Purpose, channel: channel as Channel };
}

/** Each of `members`' top items (their stored list, or the segment's favourites when they bought nothing). */
async function memberLists(
  session: Engine,
  members: Sql,
  top: number,
  asOf: string,
  fav: RecommendedItem[],
): Promise<CustomerRecommendations[]> {
  const r = await session.query(
    sql`SELECT m.customer_id AS customer_id, r.rank AS rank, r.sku AS sku, i.description AS description,
               i.category AS category, i.price AS price, r.score AS score
          FROM (${members}) m
          LEFT JOIN ${sql.ident(RECOMMENDATIONS)} r ON r.customer_id = m.customer_id AND r.rank <= ${top}
          LEFT JOIN recommend_items i ON i.sku = r.sku
         ORDER BY m.customer_id, r.rank`,
  );
  const byCustomer = new Map<string, RecommendedItem[]>();
  for (const x of r.rows<Record<string, unknown>>()) {
    const id = String(x.customer_id);
    const list = byCustomer.get(id) ?? [];
    byCustomer.set(id, list);
    if (x.sku != null)
      list.push({
        sku: String(x.sku),
        description: x.description == null ? null : String(x.description),
        category: x.category == null ? null : String(x.category),
        price: x.price == null ? null : Number(x.price),
        score: Number(x.score),
      });
  }
  return [...byCustomer].map(
    ([id, list]): CustomerRecommendations =>
      list.length > 0
        ? { customer_id: id, fallback: null, note: null, items: list }
        : {
            customer_id: id,
            fallback: "segment-favourites",
            note: `no purchase before ${asOf}: the segment's favourites`,
            items: fav,
          },
  );
}

export const RecommendEvaluateInput = z
  .object({
    /** Fit on purchases before this time; score the horizon after it. */
    asOf: isoTime,
    /** "30d", "4w", "1m". */
    horizon: z.string().default("30d"),
    ...modelOptions,
  })
  .strict();

/** `recommend.evaluate`: precision@10, recall@10, hit rate and coverage on a time split, beside popularity. */
export const recommendEvaluateOperation = defineOperation({
  name: "recommend.evaluate",
  summary:
    "fit before the as-of time, score the horizon after it: precision@10, recall@10, hit rate, coverage vs popularity",
  input: RecommendEvaluateInput,
  access: "read",
  run: async (session, input): Promise<RecommendEvaluation> => {
    const { model: _model, ...r } = await evaluateRecommender(session, input);
    return r;
  },
});
