import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers.js";
import { searchFile, searchFileThreaded, searchRange } from "./byte-search.js";

/** A file of `size` filler bytes with `needle` written at each of `places`. */
function fileWith(size: number, needle: string, places: readonly number[]): string {
  const buf = Buffer.alloc(size, "x");
  for (const at of places) buf.write(needle, at);
  const path = join(tempDir(), "bytes.bin");
  writeFileSync(path, buf);
  return path;
}

describe("the byte search of erasure's verification", () => {
  it("gives every place a needle starts, across chunk boundaries (chunks of 256 KiB)", () => {
    const chunk = 256 * 1024;
    // One across the first chunk's end, one at the very start, one at the very end.
    const places = [0, chunk - 3, 3 * chunk + 17, 4 * chunk - 8];
    const path = fileWith(4 * chunk, "needle#1", places);
    const r = searchFile(path, [Buffer.from("needle#1")]);
    expect(r).toEqual({ found: true, bytes: 4 * chunk, at: places });
    expect(searchFile(path, [Buffer.from("absent!!")])).toEqual({ found: false, bytes: 4 * chunk, at: [] });
  });

  it("splits a file into ranges that together find each place once, one across a range's end included", () => {
    const size = 1_000_000;
    const places = [10, 499_996, 500_010, 999_990];
    const path = fileWith(size, "abcdefgh", places);
    const needles = [Buffer.from("abcdefgh")];
    const first = searchRange(path, needles, 0, 500_000);
    const second = searchRange(path, needles, 500_000, size);
    // The needle at 499,996 starts in the first range and ends in the second: the first finds it (it reads past
    // its end by the needle's length less one byte), the second does not count it again.
    expect(first.at).toEqual([10, 499_996]);
    expect(second.at).toEqual([500_010, 999_990]);
  });

  it("searches in worker threads what it searches alone, with the same places", async () => {
    // 64 MiB and more go to threads.
    const size = 64 * 1024 * 1024 + 5;
    const places = [5, Math.floor(size / 2) - 4, size - 9];
    const path = fileWith(size, "ident-42", places);
    const threaded = await searchFileThreaded(path, [Buffer.from("ident-42")], 2);
    expect(threaded.at).toEqual(places);
    expect(threaded.found).toBe(true);
    expect(threaded.bytes).toBeGreaterThanOrEqual(size);
  });
});
