import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers.js";
import { planFileSearch, planSearch, searchFile, searchFileThreaded, searchRange } from "./byte-search.js";
import { shortestNeedles } from "./needles.js";

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
    expect(r).toEqual({ found: true, bytes: 4 * chunk, at: places, complete: true });
    expect(searchFile(path, [Buffer.from("absent!!")])).toEqual({
      found: false,
      bytes: 4 * chunk,
      at: [],
      complete: true,
    });
  });

  it("splits a file into ranges that together find each place once, one across a range's end included", () => {
    const size = 1_000_000;
    const places = [10, 499_996, 500_010, 999_990];
    const path = fileWith(size, "abcdefgh", places);
    const plan = planSearch([Buffer.from("abcdefgh")]);
    const first = searchRange(path, plan, 0, 500_000);
    const second = searchRange(path, plan, 500_000, size);
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
    expect(threaded.complete).toBe(true);
    expect(threaded.bytes).toBeGreaterThanOrEqual(size);
  });

  it("finds every place any needle starts, as a naive search does, whatever the needles, ranges and chunks", () => {
    // Few letters, so that files are full of near misses: needles' pieces everywhere, needles across chunks and
    // ranges, needles inside others, needles too short for the one-pass search (under 7 bytes).
    const letter = fc.constantFrom(..."ab@C01");
    const text = (min: number, max: number) =>
      fc.array(letter, { minLength: min, maxLength: max, size: "max" }).map((l) => l.join(""));
    const dir = tempDir();
    fc.assert(
      fc.property(
        text(0, 1500),
        fc.array(fc.oneof({ arbitrary: text(7, 16), weight: 4 }, { arbitrary: text(1, 6), weight: 1 }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.array(fc.nat(1500), { maxLength: 8, size: "max" }),
        fc.array(fc.nat(1500), { maxLength: 2 }),
        fc.constantFrom(16, 40, 256),
        (filler, needles, plants, cuts, chunk) => {
          const bytes = Buffer.from(filler);
          needles.forEach((n, i) => {
            for (const at of plants.filter((_, k) => k % needles.length === i))
              bytes.write(n, at % (bytes.length + 1));
          });
          const path = join(dir, "bytes.bin");
          writeFileSync(path, bytes);
          const wanted = new Set<number>();
          for (const n of shortestNeedles(needles.map((n) => Buffer.from(n))))
            for (let i = bytes.indexOf(n); i >= 0; i = bytes.indexOf(n, i + 1)) wanted.add(i);
          const plan = planFileSearch(
            path,
            needles.map((n) => Buffer.from(n)),
          );
          const bounds = [
            0,
            ...[...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b),
            bytes.length,
          ];
          const found = bounds
            .slice(1)
            .flatMap((end, i) => searchRange(path, plan, bounds[i], end, chunk).at);
          expect(found).toEqual([...wanted].sort((a, b) => a - b));
        },
      ),
      { numRuns: 300, seed: 1206 },
    );
  });

  it("picks, for each remainder of an offset by four, the gram of a needle its samples hold least", () => {
    // "C0346761" in bytes full of "C03…" ids: its grams starting with "C0", "03", "34" are common, "3467" is not.
    const sample = Buffer.from("C0312345 C0323456 C0334567 C0345678 ".repeat(50));
    const plan = planSearch([Buffer.from("C0346761")], [sample]);
    const chosen = plan.grams.map((g) =>
      Buffer.from("C0346761")
        .subarray(g.offset, g.offset + 4)
        .toString(),
    );
    // Offsets 0 and 4 share a remainder: "6761" (nowhere in the sample) beats "C034" (50 times).
    expect(chosen.sort()).toEqual(["0346", "3467", "4676", "6761"]);
  });

  it("says when it stopped listing places (a thousand a file)", () => {
    const path = fileWith(20_000, "x", []);
    const many = searchFile(path, [Buffer.from("xxxxxxxx")]);
    expect(many.at.length).toBe(1000);
    expect(many.complete).toBe(false);
  });
});
