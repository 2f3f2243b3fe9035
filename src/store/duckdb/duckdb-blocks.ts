import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import type { StorageRegion, StorageSnapshot } from "../engine.js";
import { FILE_HEADERS } from "./duckdb-file.js";

/**
 * Which parts of a DuckDB file changed since a moment (erasure's second byte search reads only those). The file is
 * three 4 KiB headers, then blocks of `block_size` bytes, each written whole and beginning with a checksum of its
 * content (8 bytes): a block whose checksum is as it was holds the bytes it held, and one DuckDB wrote anew (or
 * reused) has a new one. So a snapshot is the checksums — 8 bytes read per block, 9,000 reads for a 2.3 GB file —
 * and what changed is the headers, every block whose checksum differs, every block past the file's old end, and the
 * write-ahead log whole.
 */

/** A block's checksum, at its start. */
const CHECKSUM_BYTES = 8;

/** The checksums of a file's blocks, in order; empty when it does not exist. */
function checksums(path: string, blockSize: number): Buffer {
  if (!existsSync(path)) return Buffer.alloc(0);
  const fd = openSync(path, "r");
  try {
    const size = statSync(path).size;
    const blocks = Math.max(0, Math.floor((size - FILE_HEADERS) / blockSize));
    const sums = Buffer.alloc(blocks * CHECKSUM_BYTES);
    for (let b = 0; b < blocks; b++)
      readSync(fd, sums, b * CHECKSUM_BYTES, CHECKSUM_BYTES, FILE_HEADERS + b * blockSize);
    return sums;
  } finally {
    closeSync(fd);
  }
}

/** A snapshot of the database file `path` (blocks of `blockSize` bytes) and its write-ahead log. */
export function blockSnapshot(path: string, blockSize: number): StorageSnapshot {
  const before = checksums(path, blockSize);
  return {
    async changed(): Promise<StorageRegion[]> {
      const regions: StorageRegion[] = [];
      const add = (start: number, end: number) => {
        const last = regions[regions.length - 1];
        if (last !== undefined && last.end === start)
          regions[regions.length - 1] = { path, start: last.start, end };
        else regions.push({ path, start, end });
      };
      if (!existsSync(path)) return [];
      const size = statSync(path).size;
      add(0, Math.min(size, FILE_HEADERS));
      const now = checksums(path, blockSize);
      for (let at = 0; at < now.length; at += CHECKSUM_BYTES)
        if (
          at >= before.length ||
          now.compare(before, at, at + CHECKSUM_BYTES, at, at + CHECKSUM_BYTES) !== 0
        ) {
          const start = FILE_HEADERS + (at / CHECKSUM_BYTES) * blockSize;
          add(start, start + blockSize);
        }
      // A partial block at the end (none in a file DuckDB wrote; searched in case).
      const whole = FILE_HEADERS + (now.length / CHECKSUM_BYTES) * blockSize;
      if (size > whole) add(whole, size);
      const wal = `${path}.wal`;
      if (existsSync(wal)) regions.push({ path: wal, start: 0, end: statSync(wal).size });
      return regions;
    },
  };
}
