import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "../store/sql.js";
import { BufferedWriter } from "./csv-writer.js";
import { EVENT_COLUMNS, EventConversion } from "./parquet.js";
import { FileReader } from "./test-helpers.js";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "tessera-parquet-"));
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

const ROWS = 50_000;

async function convert(pipe: boolean, name: string): Promise<{ path: string; streaming: boolean }> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  const path = join(dir, "events.parquet");
  const conversion = await EventConversion.start(dir, ".tmp-events", path, pipe);
  const out = new BufferedWriter(await conversion.openInput());
  for (let i = 0; i < ROWS; i++) {
    const anonymous = i % 3 === 0;
    out.write(
      `m${i}\t${1_751_328_000 + i * 60}\t${anonymous ? "page" : "track"}\t${anonymous ? "Page Viewed" : "Product Viewed"}\t${anonymous ? "" : `C${i % 97}`}\tanon-${i % 13}\t{"device":"mobile","n":${i}}\n`,
    );
    if (i % 5_000 === 0) await out.drain();
  }
  await out.close();
  await conversion.finish();
  expect(await readdir(dir)).toEqual(["events.parquet"]);
  return { path, streaming: conversion.streaming };
}

describe("EventConversion", () => {
  it("gives the same Parquet bytes through a pipe and through a temporary file", async () => {
    const piped = await convert(true, "piped");
    const filed = await convert(false, "filed");
    expect(filed.streaming).toBe(false);
    const hash = async (p: string): Promise<string> =>
      createHash("sha256")
        .update(await readFile(p))
        .digest("hex");
    expect(await hash(piped.path)).toBe(await hash(filed.path));

    const db = await FileReader.open();
    try {
      const d = db.dialect;
      const events = db.parquet(piped.path);
      expect(await db.columns(events)).toEqual([...EVENT_COLUMNS]);
      // The timestamps are instants (1 July 2025, 00:00 UTC, for the first), not the epoch seconds written.
      const first = d.epochSeconds(d.tryTimestamp(sql`min(${sql.ident("timestamp")})`));
      const [row] = await db.rows(sql`SELECT count(*) AS n, count(user_id) AS users, count(event) AS events,
        ${first} AS first, max(${d.tryInteger(d.jsonText(sql`properties`, "n"))}) AS last
        FROM ${events} e`);
      expect(row).toEqual({
        n: ROWS,
        users: ROWS - Math.ceil(ROWS / 3),
        events: ROWS,
        first: Date.parse("2025-07-01T00:00:00Z") / 1000,
        last: ROWS - 1,
      });
    } finally {
      db.close();
    }
  });
});
