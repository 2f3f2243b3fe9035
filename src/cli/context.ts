import type { Command } from "commander";
import type { z } from "zod";
import { type Emit, type Operation, runOnDatabase } from "../operations/operation.js";
import type { Io } from "./io.js";

/** The database used when neither `--db` nor `$TESSERA_DB` names one (DESIGN.md, "Command line"). */
export const DEFAULT_DB = "./tessera.duckdb";

/** What every command gets: where to write, and the global options. */
export interface Cli {
  readonly io: Io;
  /** The global options of the command being run. */
  globals(cmd: Command): { db: string; json: boolean };
  /**
   * Runs an operation on the database named by --db / $TESSERA_DB (opened for it and always closed; a
   * standalone operation opens none) and returns its result.
   */
  run<S extends z.ZodType, R, E>(
    cmd: Command,
    op: Operation<S, R, E>,
    input: z.input<S>,
    emit?: Emit<E>,
  ): Promise<R>;
  /** Prints one JSON document (with --json) or the text for people. */
  print(cmd: Command, json: unknown, text: () => string): void;
}

export function makeCli(io: Io): Cli {
  const globals = (cmd: Command) => {
    const o = cmd.optsWithGlobals() as { db?: string; json?: boolean };
    return { db: o.db ?? process.env.TESSERA_DB ?? DEFAULT_DB, json: Boolean(o.json) };
  };
  return {
    io,
    globals,
    run: (cmd, op, input, emit) => runOnDatabase(globals(cmd).db, op, input, emit),
    print(cmd, json, text) {
      if (globals(cmd).json) io.out(`${JSON.stringify(json, null, 2)}\n`);
      else io.out(text());
    },
  };
}
