import { describe, expect, it } from "vitest";
import { describeFile } from "./file-kind.js";

const bytes = (...b: number[]) => Uint8Array.from(b);
const text = (s: string) => new TextEncoder().encode(s);

describe("describeFile: what a file is, from its first bytes", () => {
  it.each([
    [text("SQLite format 3\0rest"), "x.db", "an SQLite database"],
    [text("PAR1...."), "x", "a Parquet file"],
    [bytes(0x1f, 0x8b, 8, 0), "x.gz", "a gzip-compressed file"],
    [bytes(0x28, 0xb5, 0x2f, 0xfd, 0), "x.zst", "a zstd-compressed file"],
    [text("BZh91AY"), "x.bz2", "a bzip2-compressed file"],
    [bytes(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0), "x.xz", "an xz-compressed file"],
    [bytes(0x50, 0x4b, 3, 4, 0), "x.xlsx", "a zip archive (a spreadsheet such as .xlsx?)"],
    [bytes(0xd0, 0xcf, 0x11, 0xe0, 0xa1), "x.xls", "an Office document (a spreadsheet such as .xls?)"],
    [text("ARROW1\0\0"), "x.arrow", "an Arrow file"],
    [text("Obj\x01rest"), "x.avro", "an Avro file"],
    [text("%PDF-1.7"), "x.pdf", "a PDF document"],
    [bytes(0x89, 0x50, 0x4e, 0x47, 0x0d), "x.png", "a PNG image"],
    [bytes(0xff, 0xd8, 0xff, 0xe0), "x.jpg", "a JPEG image"],
    [bytes(0x7f, 0x45, 0x4c, 0x46, 2), "x", "a program (ELF)"],
    [text("customer_id,email\nc1,a@b.c\n"), "c.csv", "a text file (CSV?)"],
    [text("customer_id\tage\n"), "c.tsv", "a text file (tab-separated?)"],
    [text('  {"a": 1}\n{"a": 2}\n'), "e.txt", "a text file (JSON?)"],
    [text("a,b\n"), "rows.ndjson", "a text file (JSON?)"],
    [text("Zoë,Å\n"), "names.csv", "a text file (CSV?)"],
    [bytes(), "empty", "an empty file"],
    [bytes(0, 1, 2, 0xff, 0xfe), "x.bin", "a file of a format Tessera does not know"],
  ])("%#: %s", (head, name, what) => {
    expect(describeFile(head, name)).toBe(what);
  });

  it("takes text cut inside a character at the end of the head for text", () => {
    const cut = text("naïve,é").subarray(0, 8);
    expect(describeFile(cut, "x.csv")).toBe("a text file (CSV?)");
  });
});
