/**
 * The noise's cost (issue 17, "Speed": the DP noise adds ≤ 10% to the reports it wraps, measured side by side with
 * it off). `npx tsx bench/privacy/dp-overhead.mts DB [ROUNDS] [ONLY]` on a copy of a database whose segments are
 * refreshed (the server benchmark's 1M customers), for every report an analyst may read while `dp` is on (those
 * whose name starts with ONLY, when given), as an analyst, alternately, ROUNDS times each after a warm-up:
 * - `exactMs` / `noisyMs`: the report computed in a read session without noise and with it (the noise alone);
 * - `offMs` / `onMs`: the report released by the operations layer with `dp` off and on — on, it is also charged to
 *   the analyst's budget, recorded before the answer leaves — the answer cache left out both ways (a noisy answer is
 *   never cached; a cached exact one would compare a lookup with a computation);
 * - `burstMs`: a release made right after another (a page asking for several reports at once), which waits for the
 *   ε recorded ahead by the one before.
 * Every run but `burstMs` starts once what the run before left to do is done (an analyst's pace: the next report's
 * ε recorded ahead). Medians and ratios are printed as one JSON line per report.
 * The budget is set to its most (1000) and ε per report low (0.001), so that no report is refused.
 */
import { pathToFileURL } from "node:url";

const [db, rounds = "21", only] = process.argv.slice(2) as [string, string?, string?];
const root = new URL("../..", import.meta.url).pathname;
const ops = await import(pathToFileURL(`${root}/src/operations/index.ts`).href);
const { openStore } = await import(pathToFileURL(`${root}/src/store/open-store.ts`).href);
const store = await openStore(db);
const admin = { who: "bench-admin", role: "admin" };
const analyst = { who: "bench-analyst", role: "analyst" };
const set = (name: string, value: string) =>
  ops.runOperation(store, ops.privacySettingsSetOperation, { name, value }, () => {}, admin);
await set("dp_budget", "1000");
await set("dp_epsilon_per_query", "0.001");
const segments = (await ops.runOperation(store, ops.segmentListOperation, {}, () => {}, admin)) as {
  segments: { id: string }[];
};
const first = segments.segments[0]?.id as string;
const reports: [string, unknown, Record<string, unknown>][] = [
  ["segment.list", ops.segmentListOperation, {}],
  ["segment.show", ops.segmentShowOperation, { id: first }],
  ["overview", ops.overviewOperation, {}],
  ["consent.coverage", ops.consentCoverageOperation, {}],
];
type Op = { run: Function; name: string; cachedUntil?: unknown };
const computed = (op: Op, input: unknown, noise?: { epsilon: string }) =>
  store.read((s: unknown) => op.run(s, ops.parseInput(op, input), () => {}, { ...analyst, noise }));
const released = (op: Op, input: unknown) =>
  ops.runOperation(store, { ...op, cachedUntil: undefined }, input, () => {}, analyst);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const timed = async (into: number[], keep: boolean, work: () => Promise<unknown>) => {
  const t = performance.now();
  await work();
  if (keep) into.push(performance.now() - t);
};
const round1 = (x: number) => Math.round(x * 10) / 10;
// What the run before left to do (recording the next report's ε ahead) done first: a write queued after it. (A pause
// would do it too, but an idle machine then runs the next report slower, and unevenly.)
const pause = () => store.write(async () => {});
for (const [name, op, input] of reports) {
  if (only && !name.startsWith(only)) continue;
  const exact: number[] = [];
  const noisy: number[] = [];
  const off: number[] = [];
  const on: number[] = [];
  const burst: number[] = [];
  // Each release timed follows an untimed one of the same kind, so that a settings change (which empties the
  // settings' cache, as on a server) is not part of what is timed.
  for (let i = -1; i < Number(rounds); i++) {
    const keep = i >= 0;
    await pause();
    await timed(exact, keep, () => computed(op as Op, input));
    await pause();
    await timed(noisy, keep, () => computed(op as Op, input, { epsilon: "0.001" }));
    await set("dp", "off");
    await released(op as Op, input);
    await pause();
    await timed(off, keep, () => released(op as Op, input));
    await set("dp", "on");
    await released(op as Op, input);
    await pause();
    await timed(on, keep, () => released(op as Op, input));
    await timed(burst, keep, () => released(op as Op, input));
  }
  const [e, n, a, b, c] = [median(exact), median(noisy), median(off), median(on), median(burst)];
  console.log(
    JSON.stringify({
      report: name,
      exactMs: round1(e),
      noisyMs: round1(n),
      noiseRatio: Math.round((n / e) * 100) / 100,
      offMs: round1(a),
      onMs: round1(b),
      releaseRatio: Math.round((b / a) * 100) / 100,
      burstMs: round1(c),
      burstRatio: Math.round((c / a) * 100) / 100,
    }),
  );
}
await set("dp", "off");
await store.close();
