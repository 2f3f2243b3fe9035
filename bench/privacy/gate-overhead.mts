/**
 * The k-gate's cost (issue 17, "Speed": the gate adds ≤ 10% to the reports it wraps, measured side by side with the
 * gate off). Run once per source tree on the same data: `npx tsx bench/privacy/gate-overhead.mts ROOT DB ROUNDS`
 * times each report operation (or those whose name starts with ONLY, a fourth argument) of the tree at ROOT (this one, and a checkout of the commit before the gate) on a
 * copy of DB, as medians of ROUNDS runs after a warm-up, and prints one JSON line per report.
 * The old tree: `git worktree add /tmp/tessera-old ead760e` and a symlink to this node_modules; the data: the
 * server benchmark's 1M-customer database (its 20 segments refreshed), copied once per tree (the new tree
 * migrates its copy). Results of session 11 are in bench/results/privacy.jsonl ("privacy-gate").
 */
import { pathToFileURL } from "node:url";

const [root, db, rounds = "5", only] = process.argv.slice(2) as [string, string, string?, string?];
const ops = await import(pathToFileURL(`${root}/src/operations/index.ts`).href);
const { openStore } = await import(pathToFileURL(`${root}/src/store/open-store.ts`).href);
const store = await openStore(db);
const reports: [string, unknown, Record<string, unknown>][] = [
  ["segment.list", ops.segmentListOperation, {}],
  ["segment.overlap", ops.segmentOverlapOperation, {}],
  ["segment.mece", ops.segmentMeceOperation, {}],
  ["kpis by segment", ops.kpisOperation, { by: { kind: "segment" } }],
  ["kpis by country", ops.kpisOperation, { by: { kind: "trait", name: "country" } }],
  ["pareto by country", ops.paretoOperation, { by: { kind: "trait", name: "country" } }],
];
// Each run in a read session of its own, as the operations layer runs a read, but without the answer cache (a
// server keeps segment.list's answer: a cold one is what the gate's cost is part of).
const run = (op: { run: Function; name: string }, input: unknown) =>
  store.read((s: unknown) => op.run(s, ops.parseInput(op, input), () => {}, { who: "bench", role: "admin" }));
for (const [name, op, input] of reports) {
  if (only && !name.startsWith(only)) continue;
  await run(op as never, input); // warm-up
  const times: number[] = [];
  for (let i = 0; i < Number(rounds); i++) {
    const t = performance.now();
    await run(op as never, input);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({ report: name, medianMs: Math.round((times[Math.floor(times.length / 2)] as number) * 10) / 10 }));
}
await store.close();
