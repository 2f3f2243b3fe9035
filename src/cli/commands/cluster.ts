import type { Command } from "commander";
import { DEFAULT_BEHAVIOUR } from "../../clustering/feature-spec.js";
import { checkClusteringName } from "../../clustering/saved-clusterings.js";
import { UserError } from "../../errors.js";
import {
  type ClusterReport,
  clusterOperation,
  clusterSaveOperation,
  clustersAssignOperation,
  clustersListOperation,
  clustersRemoveOperation,
} from "../../operations/discovery-operations.js";
import type { Cli } from "../context.js";
import { dateOption, intOption } from "../parse.js";
import { table } from "../table.js";
import { choiceOption, gatedCount, gatedText, num, pct } from "./value-options.js";

function kOption(value: string): number | "auto" {
  if (value === "auto") return "auto";
  const k = intOption(value, "--k", 1) as number;
  return k;
}

function rangeOption(value: string | undefined): [number, number] | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+)\.\.(\d+)$/.exec(value.trim());
  if (!m || Number(m[1]) < 2 || Number(m[2]) < Number(m[1]))
    throw new UserError(
      "bad-option",
      `expected a range like 2..10 (from at least 2), got "${value}"`,
      "--k-range",
    );
  return [Number(m[1]), Number(m[2])];
}

export function registerCluster(program: Command, cli: Cli): void {
  program
    .command("cluster")
    .description("find segments: k-means (or k-prototypes) on chosen features, k by silhouette with --k auto")
    .option(
      "--features <list>",
      `comma-separated features (default: numeric traits, ${DEFAULT_BEHAVIOUR.join(", ")})`,
    )
    .option("--k <n|auto>", "number of clusters, or auto (best silhouette in --k-range)", "auto")
    .option("--k-range <min..max>", "the k tried by --k auto", "2..10")
    .option("--scale <mode>", "standard, robust or none", "standard")
    .option("--log <mode>", "auto (log1p of counts and money) or none", "auto")
    .option("--categorical <mode>", "categorical traits: onehot, or kprototypes (k-prototypes)", "onehot")
    .option("--seed <n>", "random seed: the same seed gives the same clusters", "1")
    .option(
      "--n-init <n>",
      "k-means++ initialisations, the best kept (default 10 up to 50,000 customers, else 3)",
    )
    .option("--max-iter <n>", "iteration limit", "300")
    .option(
      "--algorithm <name>",
      "auto, hamerly, lloyd or minibatch (auto: mini-batch above 2,000,000 customers)",
      "auto",
    )
    .option("--min-size <n>", "flag clusters smaller than this (default: 10 or 1% of the customers)")
    .option("--merge-small", "merge clusters below --min-size into their nearest neighbours")
    .option("--include-anonymous", "also cluster visitors known only by an anonymous id")
    .option(
      "--as-of <date>",
      "compute behaviour as of this date (default: the end of the data's last day, at most now)",
    )
    .option(
      "--save-as <name>",
      "store the clustering, each customer's cluster (computed value cluster.<name>) and a segment per cluster",
    )
    .option("--no-segments", "with --save-as: do not save a segment per cluster")
    .action(async (opts, cmd: Command) => {
      const range = rangeOption(opts.kRange);
      if (opts.saveAs !== undefined) checkClusteringName(opts.saveAs);
      const options = {
        ...(opts.features !== undefined
          ? {
              features: String(opts.features)
                .split(",")
                .map((s) => s.trim())
                .filter((s) => s !== ""),
            }
          : {}),
        k: kOption(opts.k),
        kMin: range?.[0],
        kMax: range?.[1],
        scale: choiceOption(opts.scale, "--scale", ["standard", "robust", "none"] as const, "standard"),
        log: choiceOption(opts.log, "--log", ["auto", "none"] as const, "auto"),
        categorical: choiceOption(
          opts.categorical,
          "--categorical",
          ["onehot", "kprototypes"] as const,
          "onehot",
        ),
        seed: intOption(opts.seed, "--seed", 0),
        nInit: intOption(opts.nInit, "--n-init", 1),
        maxIter: intOption(opts.maxIter, "--max-iter", 1),
        algorithm: choiceOption(
          opts.algorithm,
          "--algorithm",
          ["auto", "hamerly", "elkan", "lloyd", "minibatch"] as const,
          "auto",
        ),
        minSize: intOption(opts.minSize, "--min-size", 1),
        mergeSmall: Boolean(opts.mergeSmall),
        includeAnonymous: Boolean(opts.includeAnonymous),
        asOf: dateOption(opts.asOf, "--as-of"),
      };
      // Finding clusters reads; saving them writes (and so waits for earlier writes).
      const report =
        opts.saveAs === undefined
          ? await cli.run(cmd, clusterOperation, options)
          : await cli.run(cmd, clusterSaveOperation, {
              ...options,
              saveAs: opts.saveAs as string,
              segments: opts.segments !== false,
            });
      cli.print(cmd, report, () => formatClustering(report));
    });

  program
    .command("clusters")
    .description("list saved clusterings; --assign puts every current customer in the nearest stored cluster")
    .option(
      "--assign <name>",
      "re-assign every customer of a saved clustering (or all) to its nearest centre",
    )
    .option(
      "--remove <name>",
      "remove a saved clustering, its assignments, computed value and cluster segments",
    )
    .option(
      "--as-of <date>",
      "with --assign: compute behaviour as of this date (default: the end of the data's last day, at most now)",
    )
    .action(async (opts, cmd: Command) => {
      const asOf = dateOption(opts.asOf, "--as-of");
      // One command, three operations: --remove wins over --assign, and neither lists.
      const result =
        opts.remove !== undefined
          ? await cli.run(cmd, clustersRemoveOperation, { name: opts.remove as string })
          : opts.assign !== undefined
            ? await cli.run(cmd, clustersAssignOperation, { name: opts.assign as string, asOf })
            : await cli.run(cmd, clustersListOperation, {});
      cli.print(cmd, result, () => {
        if ("removed" in result) return `removed ${result.removed}\n`;
        if ("assigned" in result)
          return `${table(
            ["clustering", "customers", "changed cluster", "new"],
            result.assigned.map((a) => [
              a.name,
              a.customers,
              gatedCount(a.changed, result.minGroup),
              gatedCount(a.added, result.minGroup),
            ]),
          )}${result.asOfChoice.note}\n`;
        if (result.clusterings.length === 0)
          return "No saved clusterings: save one with tessera cluster --save-as NAME.\n";
        return table(
          ["name", "k", "model", "customers", "silhouette", "features", "assigned"],
          result.clusterings.map((c) => [
            c.name,
            c.k,
            c.model,
            c.customers,
            c.silhouette,
            c.features.join(", "),
            c.assignedAt.toISOString().slice(0, 19),
          ]),
        );
      });
    });
}

function formatClustering(r: ClusterReport): string {
  const { saved } = r;
  let s = `${r.k} clusters of ${num(r.customers, 0)} customers (${r.model}, seed ${r.seed}): inertia ${num(r.inertia)}, silhouette ${r.silhouette ?? "n/a"}, stability (ARI across seeds) ${r.stability ?? "n/a"}\n`;
  s += `features: ${r.features.join(", ")}\n`;
  for (const x of r.skipped) s += `skipped default feature ${x.feature}: ${x.reason}\n`;
  if (r.scores) {
    s += `\nk by silhouette (higher is better); Davies–Bouldin lower is better; Calinski–Harabasz higher is better\n`;
    s += table(
      ["k", "silhouette", "Davies–Bouldin", "Calinski–Harabasz", "stability", "inertia"],
      r.scores.map((x) => [
        x.k === r.k ? `${x.k} *` : String(x.k),
        num(x.silhouette, 3),
        num(x.daviesBouldin, 3),
        num(x.calinskiHarabasz, 1),
        num(x.stability, 3),
        num(x.inertia, 1),
      ]),
    );
  }
  const keys = [...new Set(r.clusters.flatMap((c) => Object.keys(c.centroid ?? {})))].slice(0, 6);
  s += `\n${table(
    ["cluster", "customers", "share", "name", ...keys],
    r.clusters.map((c) => [
      c.small ? `${c.id} (small)` : String(c.id),
      gatedCount(c.size, r.minGroup),
      c.share === null ? "" : pct(c.share),
      c.name,
      ...keys.map((k) => c.centroid?.[k] ?? null),
    ]),
  )}`;
  if (r.clusters.some((c) => c.suppressed))
    s += `<${r.minGroup}: fewer than ${r.minGroup} customers, or what would give such a cluster away: not described\n`;
  if (Object.keys(r.clusters.find((c) => c.centroid)?.centroid ?? {}).length > keys.length)
    s += "(more centroid columns with --json)\n";
  if (r.guard.small.length)
    s += `clusters below the minimum size of ${r.guard.minSize}: ${r.guard.small.join(", ")} (--merge-small merges them)\n`;
  for (const m of r.guard.merged)
    s += `merged cluster ${m.cluster} (${gatedText(m.size, r.minGroup)} customers) into its neighbours\n`;
  for (const m of r.guard.mergeSuggestions)
    s += `consider merging clusters ${m.clusters[0]} and ${m.clusters[1]}: they overlap (centres ${num(m.separation, 2)} sd apart along the line between them)\n`;
  if (saved) {
    s += `saved as ${saved.name}: segments can use {"computed": "${saved.computed}", "eq": 0}`;
    s += saved.segments.length ? `; segments ${saved.segments.join(", ")}\n` : "\n";
  }
  return `${s}${r.asOfChoice.note}\n`;
}
