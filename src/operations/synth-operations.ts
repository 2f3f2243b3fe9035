import { existsSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { UserError } from "../errors.js";
import { importDirectory } from "../ingest/import-directory.js";
import type { ImportSummary } from "../ingest/import-types.js";
import { openStore } from "../store/open-store.js";
import { GENERATED_FILES, type GenerateResult, generate, TRUTH_FILE } from "../synth/generate.js";
import { defineOperation, type Emit } from "./operation.js";
import { wholeNumber } from "./schema-types.js";

export const GenerateInput = z
  .object({
    /** How many customers (dirt duplicates come on top). */
    customers: wholeNumber(1),
    /** Random seed: the same seed gives the same files, byte for byte. */
    seed: z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER),
    /** Length of the simulated period in days (default 365). */
    days: wholeNumber(1).optional(),
    /** Share of customers given each kind of dirt, 0 to 0.5 (default 0.02; 0 = clean). */
    dirt: z.number().min(0).max(0.5).optional(),
    /** Folder to write the files and truth.json to (created if missing). */
    out: z.string().min(1),
    /** Also import the files into this database (created if missing). */
    into: z.string().min(1).optional(),
    /** Replace files of the generator's names in `out` even when the folder is not an earlier output of it. */
    force: z.boolean().default(false),
  })
  .strict();

/** What generating reports as it goes: customers simulated, the files written, each file imported. */
export type GenerateEvent =
  | { readonly type: "progress"; readonly done: number; readonly total: number }
  | { readonly type: "generated"; readonly result: GenerateResult }
  | { readonly type: "imported"; readonly summary: ImportSummary };

/** The files written, and their imports (none without `into`). */
export type GenerateOperationResult = GenerateResult & { readonly imports: ImportSummary[] };

/**
 * The generator writes fixed file names (customers.csv, orders.csv, …) into `out`: in a folder of someone's own
 * exports, those may be their data. Files it wrote before (the folder holds its truth.json) are its own to replace;
 * any other file of those names is replaced only with `force`.
 */
function refuseToOverwrite(out: string, force: boolean): void {
  if (force || existsSync(join(out, TRUTH_FILE))) return;
  const taken = GENERATED_FILES.filter((name) => existsSync(join(out, name)));
  if (taken.length > 0)
    throw new UserError(
      "would-replace",
      `holds ${taken.join(", ")}, which generate would replace: name another folder, or give --force to replace them`,
      out,
    );
}

/**
 * `generate`: writes a synthetic customer base (planted personas, BG/NBD purchases, dirt) in the import formats,
 * and with `into` imports it into that database. It needs no open store: with `into` it opens that database itself
 * and imports through the store's write queue, one transaction per file.
 */
export const generateOperation = defineOperation({
  name: "generate",
  summary: "write a synthetic customer base in the import formats, and optionally import it",
  input: GenerateInput,
  access: "none",
  run: async (input, emit: Emit<GenerateEvent>): Promise<GenerateOperationResult> => {
    refuseToOverwrite(input.out, input.force);
    const result = await generate({
      customers: input.customers,
      seed: input.seed,
      days: input.days,
      dirt: input.dirt,
      outDir: input.out,
      onProgress: (done, total) => emit({ type: "progress", done, total }),
    });
    emit({ type: "generated", result });
    let imports: ImportSummary[] = [];
    if (input.into !== undefined) {
      const store = await openStore(input.into);
      try {
        imports = await store.write((session) =>
          importDirectory(session, input.out, (summary) => emit({ type: "imported", summary })),
        );
      } finally {
        await store.close();
      }
    }
    return { ...result, imports };
  },
});
