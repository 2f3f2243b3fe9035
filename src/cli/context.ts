import type { Command } from "commander";
import type { z } from "zod";
import { type Emit, type Operation, parseInput, runParsed } from "../operations/operation.js";
import { openStore, resolveDbPath } from "../store/open-store.js";
import type { Io } from "./io.js";

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
    return { db: resolveDbPath(o.db), json: Boolean(o.json) };
  };
  return {
    io,
    globals,
    async run(cmd, op, input, emit) {
      // The input is checked before the database is opened: a bad one must not leave a new, empty file behind.
      const parsed = parseInput(op, input);
      if (op.access === "none") return runParsed(null, op, parsed, emit);
      const store = await openStore(globals(cmd).db);
      try {
        return await runParsed(store, op, parsed, emit);
      } finally {
        await store.close();
      }
    },
    print(cmd, json, text) {
      if (globals(cmd).json) io.out(`${JSON.stringify(json, null, 2)}\n`);
      else io.out(text());
    },
  };
}
