import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { access, type FileHandle, open, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, extname, join, resolve } from "node:path";
import { UserError } from "../errors.js";
import { type ExportFormat, META_ROWS_PER_FILE } from "./export-formats.js";

/**
 * The files of `audience export` (issue 18, item 2), written so that a failure leaves nothing half-written and
 * nothing is replaced unasked: rows stream into temporary files beside the target (hidden, named after it), which
 * are renamed into place only once complete and flushed to disk; an existing file is replaced only with `force`.
 * Meta's format takes at most 10,000 rows a request: more make several files, `FILE`, then `FILE-2`, `FILE-3`…
 * (before the extension: `out.json`, `out-2.json`).
 */

/** The path of part `n` (1-based) of an export to `out`: `out` itself, then `out-2.json`, `out-3.json`… */
export function partPath(out: string, n: number): string {
  if (n === 1) return out;
  const ext = extname(out);
  return `${out.slice(0, out.length - ext.length)}-${n}${ext}`;
}

/** What a failed file operation means to the user, naming the option and the file. */
function fileError(e: unknown, path: string): UserError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOSPC" || code === "EDQUOT")
    return new UserError("disk-full", `no space left to write ${path}`, "--out");
  if (code === "EACCES" || code === "EPERM" || code === "EROFS")
    return new UserError("bad-output", `cannot write ${path}: permission denied`, "--out");
  return new UserError("bad-output", `cannot write ${path}: ${(e as Error).message}`, "--out");
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Checks, before any work, that `out` can be written: a file name (not a folder) in a folder that exists and may be
 * written in, and no file there already unless `force`.
 */
export async function checkOutput(out: string, force: boolean): Promise<void> {
  const target = await stat(out).catch(() => null);
  if (target?.isDirectory())
    throw new UserError("bad-output", `${out} is a folder: name the file to write`, "--out");
  if (target && !force)
    throw new UserError(
      "would-replace",
      `${out} exists: name another file, or give --force to replace it`,
      "--out",
    );
  const folder = dirname(resolve(out));
  const dir = await stat(folder).catch(() => null);
  if (!dir) throw new UserError("bad-output", `cannot write ${out}: no folder ${folder}`, "--out");
  if (!dir.isDirectory())
    throw new UserError("bad-output", `cannot write ${out}: ${folder} is not a folder`, "--out");
  await access(folder, constants.W_OK).catch((e: unknown) => {
    throw fileError(e, out);
  });
}

/** Whether a process of this machine is running. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it runs, as another user.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes the temporary files an export to `out` left when its process was killed (Ctrl-C, a crash: no cleanup
 * ran) — personal data half-written, which nothing else would ever remove. Those of a process still running are
 * another export's, at work.
 */
async function removeLeftovers(out: string): Promise<void> {
  const name = basename(out).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const leftover = new RegExp(`^\\.${name}\\.(\\d+)-[0-9a-f]{8}\\.\\d+\\.tmp$`);
  const folder = dirname(out);
  for (const f of await readdir(folder).catch(() => [] as string[])) {
    const pid = leftover.exec(f)?.[1];
    if (pid !== undefined && !running(Number(pid))) await rm(join(folder, f), { force: true });
  }
}

/** A file being written: a temporary one beside its target. */
interface Part {
  readonly temp: string;
  readonly handle: FileHandle;
  rows: number;
  /** Once complete: its bytes flushed to disk and the file closed (under way while the next part is written). */
  flushed?: Promise<void>;
}

const CSV_SPECIAL = /[",\r\n]|^\s|\s$/;

/** A CSV field: quoted (quotes doubled) when it holds a comma, a quote or a line break, or starts or ends blank. */
function csvField(v: string | null): string {
  if (v === null) return "";
  return CSV_SPECIAL.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** What an export wrote, replaced and removed. */
export interface WrittenFiles {
  /** The files written, as named (`out`, then its further parts). */
  readonly files: string[];
  /** Files that were there and were replaced (`force`). */
  readonly replaced: string[];
  /**
   * Further parts of an earlier Meta export to the same name beyond this one's last (`out-3.json` when this export
   * makes two files), removed with `force`: left beside the new files, they would be uploaded with them, and carry
   * people who may have withdrawn consent since.
   */
  readonly removed: string[];
}

/** Rows of one export streaming to their files; `commit` puts them in place, `abort` leaves nothing behind. */
export class ExportFiles {
  private readonly parts: Part[] = [];
  private readonly tag = `${process.pid}-${randomBytes(4).toString("hex")}`;

  private constructor(
    private readonly out: string,
    private readonly format: ExportFormat,
  ) {}

  /** Opens the first file of an export of `format` to `out` (checked with `checkOutput`). */
  static async open(out: string, format: ExportFormat): Promise<ExportFiles> {
    await removeLeftovers(out);
    const files = new ExportFiles(out, format);
    await files.nextPart();
    return files;
  }

  private async nextPart(): Promise<Part> {
    const temp = join(dirname(this.out), `.${basename(this.out)}.${this.tag}.${this.parts.length + 1}.tmp`);
    const handle = await open(temp, "wx", 0o600).catch((e: unknown) => {
      throw fileError(e, this.out);
    });
    const part: Part = { temp, handle, rows: 0 };
    this.parts.push(part);
    await this.write(
      part,
      this.format.container === "csv"
        ? `${this.format.columns.map(csvField).join(",")}\n`
        : `{"schema":${JSON.stringify(this.format.columns)},"data":[`,
    );
    return part;
  }

  private async write(part: Part, text: string): Promise<void> {
    await part.handle.write(text).catch((e: unknown) => {
      throw fileError(e, this.out);
    });
  }

  /** Appends rows (each the format's columns, in order). */
  async append(rows: readonly (readonly (string | null)[])[]): Promise<void> {
    if (this.format.container === "csv") {
      const part = this.parts[0] as Part;
      let text = "";
      for (const r of rows) text += `${r.map(csvField).join(",")}\n`;
      part.rows += rows.length;
      await this.write(part, text);
      return;
    }
    // Meta: a JSON array of rows per file, one row a line, at most META_ROWS_PER_FILE rows in each.
    let i = 0;
    while (i < rows.length) {
      let part = this.parts.at(-1) as Part;
      if (part.rows === META_ROWS_PER_FILE) {
        await this.endPart(part);
        part = await this.nextPart();
      }
      const take = rows.slice(i, i + META_ROWS_PER_FILE - part.rows);
      let text = "";
      for (const [j, r] of take.entries())
        text += `${part.rows + j === 0 ? "" : ","}\n${JSON.stringify(r.map((v) => v ?? ""))}`;
      part.rows += take.length;
      i += take.length;
      await this.write(part, text);
    }
  }

  /** Completes a part and starts flushing it to disk, while the export goes on. */
  private async endPart(part: Part): Promise<void> {
    if (this.format.container === "meta") await this.write(part, "\n]}\n");
    part.flushed = part.handle.sync().then(() => part.handle.close());
    part.flushed.catch(() => {});
  }

  /**
   * Finishes the files and puts them in place: flushed to disk first, then renamed over their targets. A target
   * that exists (another part's name, taken since the check) is replaced only with `force`; without it, nothing
   * is written and the error names the files.
   */
  async commit(force: boolean): Promise<WrittenFiles> {
    await this.endPart(this.parts.at(-1) as Part);
    for (const part of this.parts)
      await part.flushed?.catch((e: unknown) => {
        throw fileError(e, this.out);
      });
    const files = this.parts.map((_, i) => partPath(this.out, i + 1));
    const replaced: string[] = [];
    for (const f of files) if (await exists(f)) replaced.push(f);
    const removed: string[] = [];
    if (this.format.container === "meta")
      for (let n = files.length + 1; await exists(partPath(this.out, n)); n++)
        removed.push(partPath(this.out, n));
    if (!force && replaced.length + removed.length > 0) {
      await this.abort();
      const named = [...replaced, ...removed].join(", ");
      throw new UserError(
        "would-replace",
        removed.length
          ? `${named} exist (${removed.length > 1 ? "parts" : "a part"} of an earlier export left beside these files would be uploaded with them): give --force to replace them, or name another file`
          : `${named} exist${replaced.length === 1 ? "s" : ""}: name another file, or give --force to replace ${replaced.length === 1 ? "it" : "them"}`,
        "--out",
      );
    }
    for (const [i, part] of this.parts.entries())
      await rename(part.temp, files[i] as string).catch((e: unknown) => {
        throw fileError(e, this.out);
      });
    for (const f of removed) await rm(f, { force: true });
    return { files, replaced, removed };
  }

  /** Removes the temporary files (after a failure): nothing of the export is left. */
  async abort(): Promise<void> {
    for (const part of this.parts) {
      await part.flushed?.catch(() => {});
      await part.handle.close().catch(() => {});
      await rm(part.temp, { force: true }).catch(() => {});
    }
  }
}
