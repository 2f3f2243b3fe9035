/**
 * README.md, run as a reader would run it: every shell example, in the README's order, in one working folder laid
 * out like a clone beside the shared data (`<scratch>/tessera`, with `<scratch>/shared/data` linking to the data
 * sets), so the README's own relative paths (`../shared/data/…`, `mall.duckdb`, the default `./tessera.duckdb`)
 * work as written, with no rewriting. Files the README has the reader create (a heredoc, a block named after a
 * file) are written from its text at that point. Each command must exit as the README says (0 unless a comment
 * says `exits N`); what a command skipped and why is listed in test/readme-steps.ts. Where the README quotes a
 * figure of a command's output, the output must say it.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryIo } from "../src/cli/io.js";
import { main } from "../src/cli/main.js";
import { SHARED_DATA, tempDir } from "./helpers.js";
import { readmeSteps, SKIPPED, type Step } from "./readme-steps.js";

const README = readFileSync(join(import.meta.dirname, "..", "README.md"), "utf8");

type Run = Extract<Step, { kind: "run" }> & { code: number; stdout: string; stderr: string };

/** The README's example commands, run in order in a fresh clone-like folder (chdir: vitest's workers are processes). */
async function runReadme(steps: Step[]): Promise<Run[]> {
  const scratch = tempDir("tessera-readme-");
  const clone = join(scratch, "tessera");
  mkdirSync(clone);
  mkdirSync(join(scratch, "shared"));
  symlinkSync(SHARED_DATA, join(scratch, "shared", "data"));
  const runs: Run[] = [];
  const cwd = process.cwd();
  process.chdir(clone);
  try {
    for (const step of steps) {
      if (step.kind === "file") {
        mkdirSync(dirname(resolve(step.path)), { recursive: true });
        writeFileSync(step.path, step.content);
      } else if (step.kind === "run") {
        // A prefix assignment is in the environment for that command only. (Settings read when a module loads,
        // such as TESSERA_PROFILE, have no effect in-process; the command is still run and its exit checked.)
        const saved = Object.fromEntries(Object.keys(step.env).map((k) => [k, process.env[k]]));
        Object.assign(process.env, step.env);
        const io = memoryIo();
        try {
          const code = await main(step.args, io);
          runs.push({ ...step, code, stdout: io.stdout(), stderr: io.stderr() });
        } finally {
          for (const [k, v] of Object.entries(saved)) {
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
          }
        }
      }
    }
  } finally {
    process.chdir(cwd);
  }
  return runs;
}

/** The output of the first run of a command whose arguments start with `prefix` (e.g. "clv fit"). */
function outputOf(runs: Run[], prefix: string): string {
  const run = runs.find((r) => `${r.args.join(" ")} `.startsWith(`${prefix} `));
  expect(run, `the README runs no \`tessera ${prefix}\``).toBeDefined();
  return run?.stdout ?? "";
}

/** The README's text matched by `pattern`: a figure the README quotes (failing when the sentence is gone). */
function quoted(pattern: RegExp): string[] {
  const m = pattern.exec(README.replace(/\s+/g, " "));
  expect(m, `the README no longer says ${pattern}: update this test`).not.toBeNull();
  return m?.slice(1) ?? [];
}

describe("reading the README's examples", () => {
  it("splits, continues, comments, writes files and refuses what a test cannot run", () => {
    const text = [
      "```sh",
      'X=1 npx tessera a \'b c\' "d\\"e" \\',
      "  --f#g   # exits 1: on purpose",
      "cat > f.txt <<'EOF'",
      "x # y",
      "EOF",
      "npm test",
      "ls | wc",
      "npx tessera refresh [--as-of x]",
      "```",
      "```console",
      "$ tessera q",
      "q printed this",
      "```",
      "```json d.json",
      "{}",
      "```",
      "```",
      "tessera <command> (a synopsis: not run)",
      "```",
    ].join("\n");
    expect(readmeSteps(text).map(({ kind, line, ...s }) => `${line} ${kind} ${JSON.stringify(s)}`)).toEqual([
      `2 run {"text":"npx tessera a b c d\\"e --f#g","env":{"X":"1"},"args":["a","b c","d\\"e","--f#g"],"exit":1}`,
      `4 file {"path":"f.txt","content":"x # y\\n"}`,
      `7 skip {"text":"npm test","reason":${JSON.stringify(SKIPPED[1]?.reason)}}`,
      `8 invalid {"text":"ls | wc","reason":"shell syntax this test does not run: |"}`,
      `9 invalid {"text":"npx tessera refresh [--as-of x]","reason":"a placeholder: [--as-of"}`,
      `12 run {"text":"tessera q","env":{},"args":["q"],"exit":0}`,
      `15 file {"path":"d.json","content":"{}\\n"}`,
    ]);
  });
});

describe("README.md", () => {
  const steps = readmeSteps(README);
  let runs: Run[] = [];
  const savedDb = process.env.TESSERA_DB;

  beforeAll(async () => {
    // The README's examples assume no $TESSERA_DB: the default database is ./tessera.duckdb.
    delete process.env.TESSERA_DB;
    runs = await runReadme(steps);
  }, 600_000);
  afterAll(() => {
    if (savedDb !== undefined) process.env.TESSERA_DB = savedDb;
  });

  it("has only examples a reader can paste, and a reason for each it skips", () => {
    expect(
      steps.filter((s) => s.kind === "invalid").map((s) => `README.md:${s.line}: ${s.text}: ${s.reason}`),
    ).toEqual([]);
    // A broken block parser would run nothing and pass: the README has dozens of commands.
    expect(steps.filter((s) => s.kind === "run").length).toBeGreaterThan(40);
    // Every reason to skip is still needed (a rule that skips nothing is dead, and hides the next command it matches).
    const reasons = new Set(steps.flatMap((s) => (s.kind === "skip" ? [s.reason] : [])));
    expect(SKIPPED.filter((s) => !reasons.has(s.reason)).map((s) => String(s.pattern))).toEqual([]);
  });

  it("runs every command with the exit code the README gives", () => {
    const failed = runs
      .filter((r) => r.code !== r.exit)
      .map((r) => `README.md:${r.line}: ${r.text}: exit ${r.code} (expected ${r.exit}) ${r.stderr.trim()}`);
    expect(failed).toEqual([]);
  });

  it("prints the figures the README quotes", () => {
    // The CDNOW fit, printed as the README shows it, line by line.
    const at = README.indexOf("`clv fit` prints:");
    expect(at, "the README no longer shows what `clv fit` prints: update this test").toBeGreaterThan(0);
    const block = README.slice(
      README.indexOf("```\n", at) + 4,
      README.indexOf("\n```", README.indexOf("```\n", at)),
    );
    const fit = outputOf(runs, "clv fit");
    for (const line of block.split("\n")) expect(fit).toContain(line);

    quoted(/the same definition as text: (unchanged), same version/);
    expect(outputOf(runs, "segment add lapsed.txt")).toContain("unchanged");

    const [actual, predicted] = quoted(/On CDNOW: ([\d,]+) actual, ([\d,]+) predicted/);
    const validate = outputOf(runs, "clv validate");
    expect(validate).toContain(actual);
    expect(validate).toContain(predicted);

    const [share, gini] = quoted(
      /On Online Retail \(as of 2011-12-10\) the top 20% bring (\d+\.\d+%) of revenue; Gini (\d+\.\d+)/,
    );
    const pareto = outputOf(runs, "pareto --as-of 2011-12-10");
    expect(pareto).toContain(share);
    expect(pareto).toContain(gini);

    const [vip, lapsed, vipLaunch, lapsedLaunch] = quoted(
      /the VIP segment's mean churn risk is (\d+\.\d+%) against (\d+\.\d+%) for the lapsed, and its mean propensity to buy a Christmas item in 90 days (\d+\.\d+%) against (\d+\.\d+%)/,
    );
    const kpis = outputOf(runs, "kpis --by segment");
    for (const figure of [vip, lapsed, vipLaunch, lapsedLaunch]) expect(kpis).toContain(figure);

    // Experiments: the assignment, the analysis and the bandit update the README shows, as printed.
    const [assigned] = quoted(
      /(assigned 4,252 new people \(control [\d,]+, free-shipping [\d,]+, ten-off [\d,]+, holdout \d+\))/,
    );
    expect(outputOf(runs, "experiment assign spring-offer")).toContain(assigned);
    const analysis = outputOf(runs, "experiment analyze spring-offer --as-of 2026-07-01 --db");
    for (const line of [
      /ten-off +1,009 +22\.04% +\+13\.8% +−2\.8% to \+30\.4% +0\.963 +inconclusive/,
      /free-shipping +1\.5 +1,566 +222 +7\.05 +23,903 +\+1426\.4% +2,354 +\+50\.3%/,
    ]) {
      quoted(line);
      expect(analysis).toMatch(line);
    }
    const [chance] = quoted(/calls ten-off a winner on conversion \(chance to win (\d+\.\d+%)\)/);
    expect(
      outputOf(runs, "experiment analyze spring-offer --as-of 2026-07-01 --metric conversion:30d --engine"),
    ).toMatch(new RegExp(`ten-off .*${String(chance).replace(".", "\\.")} +winner`));
    const emoji = /emoji +1,411 +6\.1% +52\.0% +33\.0% +52\.0%/;
    quoted(emoji);
    expect(outputOf(runs, "experiment bandit subject-line --at 2026-05-08")).toMatch(emoji);
  });
});
