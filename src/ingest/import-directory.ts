import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Engine } from "../store/engine.js";
import { importFile } from "./import.js";
import { IMPORT_KINDS, type ImportKind, type ImportSummary } from "./import-types.js";

/** Files of a folder named after their kind (`orders.csv`, `events.parquet`, `order-lines.csv.gz`, …). */
export function canonicalFiles(dir: string): { kind: ImportKind; path: string }[] {
  const names = existsSync(dir) ? readdirSync(dir) : [];
  const out: { kind: ImportKind; path: string }[] = [];
  for (const kind of IMPORT_KINDS) {
    const re = new RegExp(`^${kind}\\.(csv|tsv|json|ndjson|jsonl|parquet)(\\.gz)?$`);
    for (const n of names.filter((n) => re.test(n)).sort()) out.push({ kind, path: join(dir, n) });
  }
  return out;
}

/** Imports every canonical file of a folder, in dependency order. */
export async function importDirectory(
  engine: Engine,
  dir: string,
  onFile?: (summary: ImportSummary) => void,
): Promise<ImportSummary[]> {
  const out: ImportSummary[] = [];
  for (const f of canonicalFiles(dir)) {
    const s = await importFile(engine, { kind: f.kind, path: f.path });
    onFile?.(s);
    out.push(s);
  }
  return out;
}
