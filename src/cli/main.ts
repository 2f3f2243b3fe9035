import { Command, CommanderError } from "commander";
import { isUserError } from "../errors.js";
import { type Cli, makeCli } from "./context.js";
import { type Io, processIo } from "./io.js";

/** Exit codes of the command-line contract (DESIGN.md). */
export const EXIT = { ok: 0, user: 1, internal: 2 } as const;

type Register = (program: Command, cli: Cli) => void;

/**
 * Each command's module with the top-level commands it registers, in the order of the overall help. A command
 * loads only its own module: the modules of every command together take 0.7 s to load (the engines' clients, the
 * server, the models), `tessera import` alone 0.3 s. The overall help, `help` and a word that is not a command (for
 * commander's "did you mean") load them all. main.test.ts checks the names against what each module registers.
 */
export const COMMANDS: readonly {
  readonly names: readonly string[];
  readonly load: () => Promise<Register>;
}[] = [
  { names: ["import"], load: async () => (await import("./commands/import.js")).registerImport },
  { names: ["stats", "traits"], load: async () => (await import("./commands/stats.js")).registerStats },
  { names: ["audit"], load: async () => (await import("./commands/audit.js")).registerAudit },
  { names: ["generate"], load: async () => (await import("./commands/generate.js")).registerGenerate },
  { names: ["demo"], load: async () => (await import("./commands/demo.js")).registerDemo },
  { names: ["segment"], load: async () => (await import("./commands/segment.js")).registerSegment },
  { names: ["rfm"], load: async () => (await import("./commands/rfm.js")).registerRfm },
  { names: ["clv"], load: async () => (await import("./commands/clv.js")).registerClv },
  { names: ["recommend"], load: async () => (await import("./commands/recommend.js")).registerRecommend },
  { names: ["budget"], load: async () => (await import("./commands/budget.js")).registerBudget },
  { names: ["churn"], load: async () => (await import("./commands/churn.js")).registerChurn },
  { names: ["propensity"], load: async () => (await import("./commands/propensity.js")).registerPropensity },
  { names: ["pareto"], load: async () => (await import("./commands/pareto.js")).registerPareto },
  { names: ["kpis"], load: async () => (await import("./commands/kpis.js")).registerKpis },
  {
    names: ["cluster", "clusters"],
    load: async () => (await import("./commands/cluster.js")).registerCluster,
  },
  { names: ["personas"], load: async () => (await import("./commands/personas.js")).registerPersonas },
  { names: ["serve"], load: async () => (await import("./commands/serve.js")).registerServe },
  { names: ["keys"], load: async () => (await import("./commands/keys.js")).registerKeys },
  { names: ["privacy"], load: async () => (await import("./commands/privacy.js")).registerPrivacy },
  { names: ["consent"], load: async () => (await import("./commands/consent.js")).registerConsent },
  { names: ["audience"], load: async () => (await import("./commands/audience.js")).registerAudience },
  {
    names: ["destination"],
    load: async () => (await import("./commands/destination.js")).registerDestination,
  },
  { names: ["experiment"], load: async () => (await import("./commands/experiment.js")).registerExperiment },
  { names: ["campaign"], load: async () => (await import("./commands/campaign.js")).registerCampaign },
];

/** Global options that take a value (the word after them is not the command). */
const VALUED_GLOBALS = new Set(["--db"]);

/** The top-level command `argv` runs: its first word that is neither an option nor a global option's value. */
export function commandWord(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (VALUED_GLOBALS.has(word)) i++;
    else if (!word.startsWith("-")) return word;
  }
  return undefined;
}

async function program(io: Io, argv: readonly string[]): Promise<Command> {
  const cli = makeCli(io);
  const p = new Command("tessera")
    .description("Privacy-first customer segmentation on an embedded DuckDB database")
    .option(
      "--db <url>",
      "the database: a DuckDB file path, duckdb:PATH, chdb:DIR or clickhouse://USER:PASSWORD@HOST:PORT/DB (default $TESSERA_DB or ./tessera.duckdb)",
    )
    .option("--json", "print exactly one JSON document on stdout")
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  const word = commandWord(argv);
  const own = COMMANDS.find((c) => word !== undefined && c.names.includes(word));
  for (const register of await Promise.all((own ? [own] : COMMANDS).map((c) => c.load()))) register(p, cli);
  // Subcommands (and theirs) report through io and never exit the process either.
  const override = (c: Command): void => {
    for (const sub of c.commands) {
      sub.exitOverride().configureOutput({ writeOut: (t) => io.out(t), writeErr: (t) => io.err(t) });
      override(sub);
    }
  };
  override(p);
  return p;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code; never calls process.exit. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  try {
    await (await program(io, argv)).parseAsync([...argv], { from: "user" });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 || e.code === "commander.helpDisplayed" || e.code === "commander.version"
        ? EXIT.ok
        : EXIT.user;
    }
    if (isUserError(e)) {
      io.err(`tessera: ${e.message}\n`);
      return EXIT.user;
    }
    io.err(`tessera: internal error: ${(e as Error).message ?? e}\n`);
    if (process.env.TESSERA_DEBUG) io.err(`${(e as Error).stack ?? ""}\n`);
    return EXIT.internal;
  }
}
