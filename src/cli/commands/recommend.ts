import type { Command } from "commander";
import { parseDuration } from "../../common/duration.js";
import { UserError } from "../../errors.js";
import {
  type RecommendResult,
  recommendEvaluateOperation,
  recommendFitOperation,
  recommendOperation,
} from "../../operations/recommend-operations.js";
import type { RecommendedItem } from "../../predict/recommend-lists.js";
import type { Cli } from "../context.js";
import { dateOption, intOption, numberOption } from "../parse.js";
import { table } from "../table.js";
import { leftOutLine } from "./consent-text.js";
import { addUseOptions, useOptions } from "./use-options.js";

function modelOptions(c: Command): Command {
  return c
    .option("--lambda <n>", "EASE regularisation λ (default 500)")
    .option("--max-items <n>", "items in the model, the most bought (default 2000)")
    .option("--neighbours <n>", "weights kept per item (default 200)");
}

function parseModel(opts: Record<string, string | undefined>) {
  const lambda = numberOption(opts.lambda, "--lambda", 1e-9, 1e9);
  const maxItems = intOption(opts.maxItems, "--max-items", 1);
  const neighbours = intOption(opts.neighbours, "--neighbours", 1);
  return {
    ...(lambda !== undefined ? { lambda } : {}),
    ...(maxItems !== undefined ? { maxItems } : {}),
    ...(neighbours !== undefined ? { neighbours } : {}),
  };
}

export function registerRecommend(program: Command, cli: Cli): void {
  const rec = program
    .command("recommend")
    .description(recommendOperation.summary)
    .option("--customer <id>", "one customer's top items")
    .option("--segment <id>", "every current member's top items and the segment's favourites")
    .option("--item <sku>", "an item's bought-together and upsell lists")
    .option("--top <n>", "items per list", "10");
  addUseOptions(rec, "a segment's members").action(async (opts, cmd: Command) => {
    const top = intOption(opts.top, "--top", 1) as number;
    if (top > 100) throw new UserError("bad-option", `expected at most 100, got "${opts.top}"`, "--top");
    const r = await cli.run(cmd, recommendOperation, {
      customer: opts.customer,
      segment: opts.segment,
      item: opts.item,
      top,
      // A segment's members are listed for a use they consented to: both options then required.
      ...(opts.segment !== undefined ? useOptions(opts) : {}),
    });
    cli.print(cmd, r, () => {
      // Who the consent gate left out, on stderr (as `segment members` says it).
      if (r.kind === "segment") cli.io.err(`${leftOutLine(r)}\n`);
      return formatResult(r);
    });
  });

  modelOptions(rec.command("fit"))
    .description(recommendFitOperation.summary)
    .option("--as-of <time>", "learn from purchases before this time (default: the end of the data)")
    .option("--stored <n>", "recommendations stored per customer (default 20)")
    .action(async (opts, cmd: Command) => {
      const stored = intOption(opts.stored, "--stored", 1);
      const f = await cli.run(cmd, recommendFitOperation, {
        asOf: dateOption(opts.asOf, "--as-of"),
        ...parseModel(opts),
        ...(stored !== undefined ? { stored } : {}),
      });
      const s = f.seconds;
      cli.print(
        cmd,
        f,
        () =>
          `EASE^R (λ = ${f.lambda}) on ${f.purchases.toLocaleString("en-US")} customer-item purchases before ${f.asOf}: ` +
          `${f.customers.toLocaleString("en-US")} customers, ${f.items.toLocaleString("en-US")} items (${f.modelItems.toLocaleString("en-US")} most bought in the model)\n` +
          `Stored ${f.stored} recommendations per customer in \`recommendations\`; computed values recommended_sku, recommendation_score.\n` +
          `Seconds: load ${s.load.toFixed(2)}, gram ${s.gram.toFixed(2)}, inverse ${s.inverse.toFixed(2)}, score ${s.score.toFixed(2)}, write ${s.write.toFixed(2)}\n` +
          `${f.asOfChoice.note}\n`,
      );
    });

  modelOptions(rec.command("evaluate"))
    .description(recommendEvaluateOperation.summary)
    .requiredOption("--as-of <time>", "fit on purchases before this time")
    .option("--horizon <duration>", "score the purchases in this period after it", "30d")
    .action(async (opts, cmd: Command) => {
      const d = parseDuration(opts.horizon);
      if (typeof d === "string") throw new UserError("bad-option", d, "--horizon");
      const e = await cli.run(cmd, recommendEvaluateOperation, {
        asOf: dateOption(opts.asOf, "--as-of") as Date,
        horizon: opts.horizon,
        ...parseModel(opts),
      });
      const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
      cli.print(
        cmd,
        e,
        () =>
          `${e.customers_evaluated.toLocaleString("en-US")} customers evaluated\n` +
          table(
            ["", "precision@10", "recall@10", "hit rate", "coverage"],
            [
              ["EASE^R", pct(e.precision_at_10), pct(e.recall_at_10), pct(e.hit_rate), pct(e.coverage)],
              [
                "popularity",
                pct(e.baseline.precision_at_10),
                pct(e.baseline.recall_at_10),
                pct(e.baseline.hit_rate),
                pct(e.baseline.coverage),
              ],
            ],
          ),
      );
    });
}

function itemRows(items: readonly RecommendedItem[]): (string | number)[][] {
  return items.map((x, i) => [i + 1, x.sku, x.description ?? "", x.price ?? "", Number(x.score.toFixed(4))]);
}

function formatResult(r: RecommendResult): string {
  const head = ["#", "sku", "description", "price", "score"];
  switch (r.kind) {
    case "customer":
      return `${r.customer.note ? `${r.customer.note}\n` : ""}${table(head, itemRows(r.customer.items))}`;
    case "item": {
      const it = r.item;
      return (
        `${it.sku} ${it.description ?? ""} (price ${it.price ?? "?"}${it.category ? `, category ${it.category}` : ""})\n` +
        `Bought together (by the same customers):\n${table(
          [...head, "co-buyers"],
          itemRows(it.boughtTogether).map((row, i) => [...row, it.boughtTogether[i]?.co_buyers ?? ""]),
        )}` +
        `Upsell (${it.upsellBasis === "category" ? "dearer items of the same category" : "no category: dearer items among those bought together"}):\n${table(head, itemRows(it.upsell))}`
      );
    }
    case "segment":
      return (
        `Segment ${r.segment}: favourites\n${table(head, itemRows(r.favourites))}` +
        r.customers
          .map(
            (c) =>
              `${c.customer_id}${c.fallback ? ` (${c.note})` : ""}: ${c.items.map((x) => x.sku).join(", ")}`,
          )
          .join("\n") +
        "\n"
      );
    case "base":
      return `Base favourites as of ${r.asOf} (${r.customers.toLocaleString("en-US")} customers scored):\n${table(head, itemRows(r.favourites))}`;
  }
}
