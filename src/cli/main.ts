import { Command, CommanderError } from "commander";
import { isUserError } from "../errors.js";
import { registerAudience } from "./commands/audience.js";
import { registerAudit } from "./commands/audit.js";
// predict commands (imports): budget
import { registerBudget } from "./commands/budget.js";
// activation commands (imports): campaigns
import { registerCampaign } from "./commands/campaign.js";
import { registerChurn } from "./commands/churn.js";
import { registerCluster } from "./commands/cluster.js";
import { registerClv } from "./commands/clv.js";
import { registerConsent } from "./commands/consent.js";
import { registerDemo } from "./commands/demo.js";
// activation commands (imports): destinations
import { registerDestination } from "./commands/destination.js";
import { registerExperiment } from "./commands/experiment.js";
import { registerGenerate } from "./commands/generate.js";
import { registerImport } from "./commands/import.js";
import { registerKeys } from "./commands/keys.js";
import { registerKpis } from "./commands/kpis.js";
import { registerPareto } from "./commands/pareto.js";
import { registerPersonas } from "./commands/personas.js";
import { registerPrivacy } from "./commands/privacy.js";
import { registerPropensity } from "./commands/propensity.js";
import { registerRecommend } from "./commands/recommend.js";
import { registerRfm } from "./commands/rfm.js";
import { registerSegment } from "./commands/segment.js";
import { registerServe } from "./commands/serve.js";
import { registerStats } from "./commands/stats.js";
import { makeCli } from "./context.js";
import { type Io, processIo } from "./io.js";

/** Exit codes of the command-line contract (DESIGN.md). */
export const EXIT = { ok: 0, user: 1, internal: 2 } as const;

function program(io: Io): Command {
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
  registerImport(p, cli);
  registerStats(p, cli);
  registerAudit(p, cli);
  registerGenerate(p, cli);
  registerDemo(p, cli);
  registerSegment(p, cli);
  registerRfm(p, cli);
  registerClv(p, cli);
  registerRecommend(p, cli);
  // predict commands: budget
  registerBudget(p, cli);
  registerChurn(p, cli);
  registerPropensity(p, cli);
  registerPareto(p, cli);
  registerKpis(p, cli);
  registerCluster(p, cli);
  registerPersonas(p, cli);
  registerServe(p, cli);
  registerKeys(p, cli);
  registerPrivacy(p, cli);
  registerConsent(p, cli);
  registerAudience(p, cli);
  // activation commands: destinations
  registerDestination(p, cli);
  registerExperiment(p, cli);
  // activation commands: campaigns
  registerCampaign(p, cli);
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
    await program(io).parseAsync([...argv], { from: "user" });
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
