import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";

/**
 * A write-ahead log for the tracking API (issue 16, "Durability"): a 2xx may be sent only once every event it
 * acknowledges is on disk, and the store loads them later, in batches.
 *
 * - **Records** are text (one JSON document each), numbered by a sequence that only grows. On disk a record is
 *   `<seq> <length> <crc32>\t<text>\n`: a record cut short by a crash (its length or checksum wrong) ends the log
 *   there; it was never acknowledged, since an append resolves only after its bytes are synced.
 * - **Group commit**: appends made while a write is in flight wait for the next one, so each write + fdatasync
 *   carries every record that arrived meanwhile (one sync per group of requests, not per request).
 * - **Segments**: files `wal-<first seq>.log`, a new one past `segmentBytes`; **checkpoint** (`checkpoint`, written
 *   to a temporary file, synced, renamed): the last sequence loaded into the store. Replay yields the records
 *   after it; segments wholly before it are deleted. Loading is idempotent (events by message id), so a crash
 *   between a load and its checkpoint loads nothing twice.
 */
export interface WalRecord {
  readonly seq: number;
  readonly text: string;
}

/**
 * How a record's text is kept on disk: as it is, or sealed (an encrypted database's log: the events it holds carry
 * personal data until they are loaded). `decode` undoes `encode`.
 */
export interface RecordCodec {
  encode(text: string): string;
  decode(text: string): string;
}
const PLAIN: RecordCodec = { encode: (t) => t, decode: (t) => t };

const SEGMENT = /^wal-(\d{16})\.log$/;

interface Group {
  records: { seq: number; bytes: Buffer }[];
  waiting: { resolve: (seq: number) => void; reject: (e: unknown) => void; seq: number }[];
}
const segmentName = (first: number) => `wal-${String(first).padStart(16, "0")}.log`;

/** The valid records of a segment's bytes, and where the last one ends (a torn tail after it is dropped). */
function parseSegment(bytes: Buffer): { records: WalRecord[]; end: number } {
  const records: WalRecord[] = [];
  let at = 0;
  while (at < bytes.length) {
    const tab = bytes.indexOf(0x09, at);
    if (tab < 0 || tab - at > 64) break;
    const head = /^(\d+) (\d+) (\d+)$/.exec(bytes.toString("latin1", at, tab));
    if (!head) break;
    const [seq, length, sum] = [Number(head[1]), Number(head[2]), Number(head[3])];
    const start = tab + 1;
    const stop = start + length;
    if (stop + 1 > bytes.length || bytes[stop] !== 0x0a) break;
    const body = bytes.subarray(start, stop);
    if (crc32(body) !== sum) break;
    records.push({ seq, text: body.toString("utf8") });
    at = stop + 1;
  }
  return { records, end: at };
}

function encode(seq: number, text: string): Buffer {
  const body = Buffer.from(text, "utf8");
  return Buffer.concat([
    Buffer.from(`${seq} ${body.length} ${crc32(body)}\t`, "latin1"),
    body,
    Buffer.from("\n"),
  ]);
}

/** Syncs a folder, so that a file created or renamed in it survives a crash. */
function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class WriteAheadLog {
  /** The group the next write takes: its records (encoded, with their sequence) and who waits for them. */
  private pending: Group = { records: [], waiting: [] };
  private writing: Promise<void> | null = null;
  private closed = false;
  /** Writes and syncs done (a group each): for tests and the benchmark. */
  syncs = 0;

  private constructor(
    private readonly dir: string,
    private file: FileHandle,
    private fileBytes: number,
    private nextSeq: number,
    private checkpointed: number,
    private readonly segmentBytes: number,
    private readonly codec: RecordCodec,
  ) {}

  /**
   * Opens (creating) the log in `dir`: finds the last record, cuts off a torn tail (a crash mid-write), and appends
   * after it.
   */
  static async open(
    dir: string,
    options: { segmentBytes?: number; codec?: RecordCodec } = {},
  ): Promise<WriteAheadLog> {
    mkdirSync(dir, { recursive: true });
    const checkpointed = readCheckpoint(dir);
    const segments = listSegments(dir);
    let nextSeq = checkpointed + 1;
    let last = segments.at(-1);
    if (last !== undefined) {
      const bytes = readFileSync(join(dir, segmentName(last)));
      const { records, end } = parseSegment(bytes);
      nextSeq = Math.max(nextSeq, (records.at(-1)?.seq ?? last - 1) + 1);
      if (end < bytes.length) {
        // The torn tail: never acknowledged. Cut, so that the next record follows the last whole one.
        const fh = await open(join(dir, segmentName(last)), "r+");
        await fh.truncate(end);
        await fh.sync();
        await fh.close();
      }
    } else last = nextSeq;
    const path = join(dir, segmentName(last));
    const file = await open(path, "a");
    syncDir(dir);
    const size = (await file.stat()).size;
    return new WriteAheadLog(
      dir,
      file,
      size,
      nextSeq,
      checkpointed,
      options.segmentBytes ?? 64 * 1024 * 1024,
      options.codec ?? PLAIN,
    );
  }

  /** Appends records; resolves with the last one's sequence once they are on disk (synced). */
  append(texts: readonly string[]): Promise<number> {
    if (this.closed) return Promise.reject(new Error("the write-ahead log is closed"));
    for (const t of texts) {
      const seq = this.nextSeq++;
      this.pending.records.push({ seq, bytes: encode(seq, this.codec.encode(t)) });
    }
    const seq = this.nextSeq - 1;
    const done = new Promise<number>((resolve, reject) =>
      this.pending.waiting.push({ resolve, reject, seq }),
    );
    if (this.writing === null) this.writing = this.drain();
    return done;
  }

  /** Writes and syncs groups until nothing is pending. */
  private async drain(): Promise<void> {
    // Let the appends of this turn of the event loop join the group.
    await new Promise((r) => setImmediate(r));
    while (this.pending.records.length > 0) {
      const group = this.pending;
      this.pending = { records: [], waiting: [] };
      try {
        const bytes = Buffer.concat(group.records.map((r) => r.bytes));
        await this.file.write(bytes);
        await this.file.datasync();
        this.fileBytes += bytes.length;
        this.syncs++;
        for (const w of group.waiting) w.resolve(w.seq);
        if (this.fileBytes >= this.segmentBytes) await this.rotate();
      } catch (e) {
        // Not acknowledged: cut what part of the group reached the file, so the next group follows whole records.
        await this.file.truncate(this.fileBytes).catch(() => undefined);
        for (const w of group.waiting) w.reject(e);
      }
    }
    this.writing = null;
  }

  private async rotate(): Promise<void> {
    await this.file.close();
    // Named by the first record it will hold: the next group's (numbered when appended), or the next to come.
    this.file = await open(join(this.dir, segmentName(this.pending.records[0]?.seq ?? this.nextSeq)), "a");
    this.fileBytes = 0;
    syncDir(this.dir);
  }

  /** The records after the checkpoint, in order (only those acknowledged or whole: a torn tail was cut). */
  *replay(): Generator<WalRecord> {
    for (const first of listSegments(this.dir)) {
      const { records } = parseSegment(readFileSync(join(this.dir, segmentName(first))));
      for (const r of records)
        if (r.seq > this.checkpointed) yield { seq: r.seq, text: this.codec.decode(r.text) };
    }
  }

  /** The last sequence loaded into the store. */
  get loaded(): number {
    return this.checkpointed;
  }

  /**
   * Records that every record up to `seq` is in the store, then deletes the segments that hold nothing after it
   * (never the one being written).
   */
  checkpoint(seq: number): void {
    if (seq <= this.checkpointed) return;
    const tmp = join(this.dir, "checkpoint.tmp");
    const fd = openSync(tmp, "w");
    try {
      const text = Buffer.from(`${seq}\n`);
      let at = 0;
      while (at < text.length) at += writeSync(fd, text, at, text.length - at);
      // Renamed into place only once synced: a crash leaves the old checkpoint or the new one, whole.
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, "checkpoint"));
    syncDir(this.dir);
    this.checkpointed = seq;
    const segments = listSegments(this.dir);
    for (let i = 0; i + 1 < segments.length; i++) {
      // A segment's records end where the next one begins.
      if ((segments[i + 1] as number) - 1 <= seq) rmSync(join(this.dir, segmentName(segments[i] as number)));
    }
  }

  /** Waits for the writes in flight, then closes the file. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.writing) await this.writing;
    await this.file.close();
  }
}

function listSegments(dir: string): number[] {
  return readdirSync(dir)
    .map((f) => SEGMENT.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

function readCheckpoint(dir: string): number {
  try {
    const n = Number(readFileSync(join(dir, "checkpoint"), "utf8").trim());
    return Number.isSafeInteger(n) && n >= 0 ? n : 0;
  } catch {
    return 0;
  }
}
