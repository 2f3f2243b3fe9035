/**
 * Turns the generator's tab-separated events into events.parquet with DuckDB.
 *
 * The generator writes events as tab-separated text (no quoting: generated values never
 * contain tabs or newlines; timestamps as epoch seconds, which become a TIMESTAMP with no
 * time-zone interpretation; empty fields become NULL).
 *
 * Where the system has `mkfifo`, that text goes through a named pipe that DuckDB reads while
 * JavaScript is still generating: parsing and Parquet encoding run on the second core, nothing
 * but the pipe's buffer is held, and no multi-gigabyte temporary file is written. Otherwise it
 * goes to a temporary file converted at the end. The pipe is opened without blocking (once
 * DuckDB has it open) and written through the event loop like a socket, so no thread of
 * Node's pool ever waits on it. Either way DuckDB runs with one thread: with
 * more, row-group boundaries depend on thread timing and the file's bytes would differ from
 * run to run (the rows would not), which breaks "same seed, same bytes".
 */
import { execFileSync } from "node:child_process";
import { closeSync, constants, openSync } from "node:fs";
import { rm } from "node:fs/promises";
import { Socket } from "node:net";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";

/** Column names of events.parquet, in order. */
export const EVENT_COLUMNS = [
  "message_id",
  "timestamp",
  "type",
  "event",
  "user_id",
  "anonymous_id",
  "properties",
] as const;

const INPUT_COLUMNS =
  "{'message_id': 'VARCHAR', 'ts': 'BIGINT', 'type': 'VARCHAR', 'event': 'VARCHAR', " +
  "'user_id': 'VARCHAR', 'anonymous_id': 'VARCHAR', 'properties': 'VARCHAR'}";

function lit(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

function copySql(input: string, parquetPath: string): string {
  return `COPY (
      SELECT message_id, make_timestamp(ts * 1000000) AS "timestamp", type, event, user_id, anonymous_id, properties
      FROM read_csv(${lit(input)}, delim = '\\t', quote = '', escape = '', header = false,
                    auto_detect = false, columns = ${INPUT_COLUMNS})
    ) TO ${lit(parquetPath)} (FORMAT parquet, COMPRESSION zstd)`;
}

/** Opens and closes the write end of a FIFO so that a reader blocked in open() gets going (and sees EOF). */
function releaseReader(fifo: string): void {
  try {
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    // Nobody waiting on the other end: nothing to release.
  }
}

function makeFifo(path: string): boolean {
  if (process.platform === "win32") return false;
  try {
    execFileSync("mkfifo", ["-m", "600", path], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** A conversion of generated events to Parquet. */
export class EventConversion {
  private settled = false;
  private failure: unknown = null;
  private running: Promise<void> | null = null;
  private closed = false;

  private constructor(
    /** Where the generator writes its tab-separated events. */
    readonly inputPath: string,
    /** True when DuckDB reads the events while they are written (a FIFO). */
    readonly streaming: boolean,
    private readonly parquetPath: string,
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
  ) {}

  /**
   * Prepares the input in `dir` (a FIFO when possible, unless `pipe` is false) and, when
   * streaming, starts DuckDB on it.
   */
  static async start(
    dir: string,
    tempName: string,
    parquetPath: string,
    pipe = true,
  ): Promise<EventConversion> {
    const fifo = join(dir, `${tempName}.fifo`);
    const streaming = pipe && makeFifo(fifo);
    const inputPath = streaming ? fifo : join(dir, `${tempName}.tsv`);
    const instance = await DuckDBInstance.create(":memory:", { threads: "1", memory_limit: "1GB" });
    const conversion = new EventConversion(
      inputPath,
      streaming,
      parquetPath,
      instance,
      await instance.connect(),
    );
    if (streaming) conversion.run();
    return conversion;
  }

  private run(): void {
    this.running = this.conn.run(copySql(this.inputPath, this.parquetPath)).then(
      () => {
        this.settled = true;
      },
      (e: unknown) => {
        this.settled = true;
        this.failure = e;
      },
    );
  }

  /**
   * Where the generator writes: the temporary file's path, or, for a FIFO, a stream opened as
   * soon as DuckDB has opened the other end (polling a non-blocking open; a blocking one would
   * hang if DuckDB failed before opening it).
   */
  async openInput(): Promise<string | { name: string; stream: Writable }> {
    if (!this.streaming) return this.inputPath;
    for (;;) {
      this.check();
      try {
        const fd = openSync(this.inputPath, constants.O_WRONLY | constants.O_NONBLOCK);
        return { name: this.inputPath, stream: new Socket({ fd, readable: false, writable: true }) };
      } catch (e) {
        // ENXIO: nobody has the FIFO open for reading yet.
        if ((e as NodeJS.ErrnoException).code !== "ENXIO") throw e;
      }
      await sleep(2);
    }
  }

  /** DuckDB's error, once the conversion has failed. */
  get error(): unknown {
    return this.failure;
  }

  /** Throws DuckDB's error if the conversion has failed already. */
  check(): void {
    if (this.failure !== null) throw this.failure;
  }

  /** Call once the event writer is closed: completes the Parquet file and cleans up. */
  async finish(): Promise<void> {
    try {
      if (!this.streaming) this.run();
      await this.running;
      if (this.failure !== null) throw this.failure;
    } finally {
      await this.close();
    }
    await rm(this.inputPath, { force: true });
  }

  /** Gives up: stops DuckDB (it sees the end of its input), removes the input and any partial output. */
  async abort(): Promise<void> {
    if (this.streaming && !this.settled) releaseReader(this.inputPath);
    await this.close();
    await rm(this.inputPath, { force: true });
    await rm(this.parquetPath, { force: true }).catch(() => {});
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.running;
    this.conn.closeSync();
    this.instance.closeSync();
  }
}
