import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers.js";
import { isUserError } from "../errors.js";
import { checkOutput, ExportFiles, partPath } from "./export-files.js";
import { type ExportFormat, META_ROWS_PER_FILE } from "./export-formats.js";

/** Formats reduced to their containers: the files are what is under test here. */
const meta: ExportFormat = {
  name: "meta",
  container: "meta",
  fields: [],
  columns: ["EMAIL"],
  row: () => null,
};
const csv: ExportFormat = {
  name: "csv",
  container: "csv",
  fields: [],
  columns: ["customer_id", "email"],
  row: () => null,
};

async function userError(work: Promise<unknown>): Promise<{ code: string; message: string }> {
  const e = await work.then(
    () => null,
    (err: unknown) => err,
  );
  expect(isUserError(e), String(e)).toBe(true);
  return e as { code: string; message: string };
}

describe("export files", () => {
  it("names Meta's further parts after the file, before its extension", () => {
    expect(partPath("out.json", 1)).toBe("out.json");
    expect(partPath("out.json", 2)).toBe("out-2.json");
    expect(partPath("a.b/out.v1.json", 12)).toBe("a.b/out.v1-12.json");
    expect(partPath("dir/out", 3)).toBe("dir/out-3");
  });

  it("splits Meta's rows at 10,000 a file, each file a whole request", async () => {
    const dir = tempDir();
    const out = join(dir, "people.json");
    const rows = Array.from({ length: 2 * META_ROWS_PER_FILE + 1 }, (_, i) => [`h${i}`]);
    const files = await ExportFiles.open(out, meta);
    // In uneven chunks, as the engine's are.
    for (let i = 0; i < rows.length; i += 7_000) await files.append(rows.slice(i, i + 7_000));
    const written = await files.commit(false);
    expect(written).toEqual({
      files: [out, join(dir, "people-2.json"), join(dir, "people-3.json")],
      replaced: [],
      removed: [],
    });
    const parsed = written.files.map((f) => JSON.parse(readFileSync(f, "utf8")));
    expect(parsed.map((p) => p.data.length)).toEqual([10_000, 10_000, 1]);
    for (const p of parsed) expect(p.schema).toEqual(["EMAIL"]);
    expect(parsed.flatMap((p) => p.data)).toEqual(rows);
    // Nothing else left in the folder (no temporary file); personal data is readable by its owner only.
    expect(readdirSync(dir).sort()).toEqual(["people-2.json", "people-3.json", "people.json"]);
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it("writes an empty export as a whole file: a CSV header, a Meta request with no rows", async () => {
    const dir = tempDir();
    for (const [format, name, text] of [
      [csv, "a.csv", "customer_id,email\n"],
      [meta, "a.json", '{"schema":["EMAIL"],"data":[\n]}\n'],
    ] as const) {
      const files = await ExportFiles.open(join(dir, name), format);
      await files.append([]);
      await files.commit(false);
      expect(readFileSync(join(dir, name), "utf8")).toBe(text);
    }
  });

  it("quotes CSV fields that need it, and leaves nothing behind when aborted", async () => {
    const dir = tempDir();
    const out = join(dir, "x.csv");
    const files = await ExportFiles.open(out, csv);
    await files.append([
      ["c1", 'a "quoted", name'],
      ["c2", null],
      ["c3", " padded"],
    ]);
    await files.abort();
    expect(readdirSync(dir)).toEqual([]);
    const again = await ExportFiles.open(out, csv);
    await again.append([
      ["c1", 'a "quoted", name'],
      ["c2", null],
      ["c3", " padded"],
    ]);
    await again.commit(false);
    expect(readFileSync(out, "utf8")).toBe('customer_id,email\nc1,"a ""quoted"", name"\nc2,\nc3," padded"\n');
  });

  it("removes what an export killed midway left, keeping a running one's", async () => {
    const dir = tempDir();
    // No process has this id (Linux's limit is 2^22); this process is running.
    const dead = join(dir, ".p.csv.999999999-0123abcd.1.tmp");
    const alive = join(dir, `.p.csv.${process.pid}-0123abcd.1.tmp`);
    const other = join(dir, ".q.csv.999999999-0123abcd.1.tmp");
    for (const f of [dead, alive, other]) writeFileSync(f, "half");
    const files = await ExportFiles.open(join(dir, "p.csv"), csv);
    await files.commit(false);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(alive)).toBe(true);
    // Another target's files are not this export's business.
    expect(existsSync(other)).toBe(true);
  });

  it("refuses a path it cannot or should not write, before any work", async () => {
    const dir = tempDir();
    const taken = join(dir, "taken.csv");
    writeFileSync(taken, "mine");
    let e = await userError(checkOutput(taken, false));
    expect(e.code).toBe("would-replace");
    expect(e.message).toMatch(/^--out: .*taken\.csv exists: name another file, or give --force/);
    await checkOutput(taken, true);
    e = await userError(checkOutput(dir, true));
    expect(e.message).toMatch(/^--out: .* is a folder/);
    e = await userError(checkOutput(join(dir, "missing", "x.csv"), false));
    expect(e.message).toMatch(/^--out: cannot write .*: no folder .*missing/);
    e = await userError(checkOutput(join(taken, "x.csv"), false));
    expect(e.message).toMatch(/taken\.csv is not a folder/);
    expect(readFileSync(taken, "utf8")).toBe("mine");
  });

  it("replaces files only with force, and then removes an earlier export's further parts", async () => {
    const dir = tempDir();
    const out = join(dir, "m.json");
    // An earlier export of four files.
    for (const n of [1, 2, 3, 4]) writeFileSync(partPath(out, n), `old ${n}`);
    const rows = Array.from({ length: META_ROWS_PER_FILE + 5 }, (_, i) => [`h${i}`]);
    const write = async (force: boolean) => {
      const files = await ExportFiles.open(out, meta);
      await files.append(rows);
      return files.commit(force);
    };
    const e = await userError(write(false));
    expect(e.code).toBe("would-replace");
    expect(e.message).toContain("m-3.json");
    // Nothing changed, nothing left over.
    expect(readdirSync(dir).sort()).toEqual(["m-2.json", "m-3.json", "m-4.json", "m.json"]);
    expect(readFileSync(out, "utf8")).toBe("old 1");
    const written = await write(true);
    expect(written.replaced).toEqual([out, partPath(out, 2)]);
    expect(written.removed).toEqual([partPath(out, 3), partPath(out, 4)]);
    expect(readdirSync(dir).sort()).toEqual(["m-2.json", "m.json"]);
    expect(JSON.parse(readFileSync(partPath(out, 2), "utf8")).data).toHaveLength(5);
    expect(existsSync(partPath(out, 3))).toBe(false);
  });
});
