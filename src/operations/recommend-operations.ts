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
import { reportMinGroup } from "../privacy/k-gate.js";
import { sql } from "../store/sql.js";
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
  })
  .strict();

export type RecommendResult =
  | { readonly kind: "customer"; readonly asOf: string; readonly customer: CustomerRecommendations }
  | {
      readonly kind: "segment";
      readonly asOf: string;
      readonly segment: string;
      readonly favourites: RecommendedItem[];
      readonly customers: CustomerRecommendations[];
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
 * segment's favourites (`segment`: members without purchases get those, said so), an item's bought-together and
 * upsell lists (`item`), or, with none, the base's favourites.
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
      const seg = await session.query(sql`SELECT count(*) AS n FROM segments WHERE id = ${input.segment}`);
      if (Number(seg.column("n")[0]) === 0)
        throw new UserError("unknown-segment", `no segment "${input.segment}"`, "segment");
      const members = segmentMembers(input.segment);
      const fav = await favourites(session, members, input.top, k);
      const r = await session.query(
        sql`SELECT m.customer_id AS customer_id, r.rank AS rank, r.sku AS sku, i.description AS description,
                   i.category AS category, i.price AS price, r.score AS score
              FROM (${members}) m
              LEFT JOIN ${sql.ident(RECOMMENDATIONS)} r ON r.customer_id = m.customer_id AND r.rank <= ${input.top}
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
      const customers = [...byCustomer].map(
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
      return { kind: "segment", asOf, segment: input.segment, favourites: fav, customers };
    }
    return {
      kind: "base",
      asOf,
      customers: model.customers,
      favourites: await favourites(session, null, input.top, k),
    };
  },
});

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
