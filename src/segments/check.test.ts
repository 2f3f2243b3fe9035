import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { tempDir, writeFile } from "../../test/helpers.js";
import { condition } from "../../test/segments-arbitraries.js";
import { suggestionIn } from "../common/did-you-mean.js";
import { importFile } from "../ingest/import.js";
import { openStore } from "../store/open-store.js";
import type { Store } from "../store/store.js";
import { checkDefinition, locate } from "./check.js";
import { printSegment } from "./text/print.js";
import { parseSegmentText, parseSegmentTextLocated } from "./text/segment-document.js";
import { SegmentTextError } from "./text/segment-text-error.js";

/** A text with a problem in each kind of place; every position below is counted by hand from it. */
const TEXT = `id: lapsed-de
name: Lapsed in Germany
where: contry = "DE"
  and orders.count(365d) >= 2
  and count(event "Product Veiwed", 30d, devise = "mobile") >= 1`;

const at = (line: number, column: number, endLine: number, endColumn: number) => ({
  line,
  column,
  endLine,
  endColumn,
});

describe("where the parts of a text definition are", () => {
  it("names each part by the path the checker reports, with its line and columns", () => {
    const { spans } = parseSegmentTextLocated(TEXT);
    const place = (path: string) => {
      const { token: _, ...span } = spans.get(path) ?? { line: 0, column: 0, endLine: 0, endColumn: 0 };
      return span;
    };
    expect(place("id")).toEqual(at(1, 5, 1, 14));
    expect(place("name")).toEqual(at(2, 7, 2, 24));
    // `contry` begins at column 8 of line 3 (after "where: "), "DE" at 17.
    expect(place("where.all[0].trait")).toEqual(at(3, 8, 3, 14));
    expect(place("where.all[0].eq")).toEqual(at(3, 17, 3, 21));
    expect(place("where.all[1].within")).toEqual(at(4, 20, 4, 24));
    expect(place("where.all[1].gte")).toEqual(at(4, 29, 4, 30));
    expect(place("where.all[2].event")).toEqual(at(5, 19, 5, 35));
    expect(place("where.all[2].where.property")).toEqual(at(5, 42, 5, 48));
    expect(place("where.all[2].count.gte")).toEqual(at(5, 64, 5, 65));
    // The whole condition, from its first token to its last.
    expect(place("where")).toEqual(at(3, 8, 5, 65));
    expect(spans.get("where.all[0].trait")?.token).toBe("ident");
    expect(spans.get("where.all[0].eq")?.token).toBe("string");
  });

  it("places list items, ranges, relative dates and nested property groups", () => {
    const { spans } = parseSegmentTextLocated(
      'where: country in ("DE", "FR") or age between 30 and 40 or signup > ago(30d)\n' +
        '  or has(event "V", a = 1, b = 2 or not c exists)',
    );
    expect(spans.get("where.any[0].in")).toMatchObject(at(1, 19, 1, 31));
    expect(spans.get("where.any[0].in[1]")).toMatchObject(at(1, 26, 1, 30));
    expect(spans.get("where.any[1].between[1]")).toMatchObject(at(1, 54, 1, 56));
    expect(spans.get("where.any[2].gt.ago")).toMatchObject(at(1, 73, 1, 76));
    expect(spans.get("where.any[3].where.all[1].any[1].not.property")).toMatchObject(at(2, 41, 2, 42));
  });

  it("gives a text that does not parse one problem, at the token found", () => {
    const e = (() => {
      try {
        parseSegmentText('id: x\nname: X\nwhere: age >= 30 and\n  count(event "V", 30x) >= 2');
      } catch (err) {
        return err;
      }
      return undefined;
    })() as SegmentTextError;
    expect(e).toBeInstanceOf(SegmentTextError);
    // The message is as before: the place, then what is wrong.
    expect(e.message).toContain('line 4, column 20: "30x" is not a duration');
    expect(e.span).toEqual(at(4, 20, 4, 23));
    expect(() => parseSegmentText("id: x\nnope")).toThrow(SegmentTextError);
  });
});

describe("issues placed in the text", () => {
  const { spans } = parseSegmentTextLocated(TEXT);

  it("puts a problem at its path's span and offers the suggested name as the token is written", () => {
    const issue = { path: "where.all[0].trait", message: 'unknown trait "contry" (did you mean "country"?)' };
    expect(locate(issue, spans)).toEqual({
      ...issue,
      at: at(3, 8, 3, 14),
      suggestion: { value: "country", replacement: "country" },
    });
    const event = {
      path: "where.all[2].event",
      message: 'unknown event "x" (did you mean "Product Viewed"?)',
    };
    expect(locate(event, spans).suggestion).toEqual({
      value: "Product Viewed",
      replacement: '"Product Viewed"',
    });
    // A name that is no identifier replaces a bare trait in its call form.
    const spaced = {
      path: "where.all[0].trait",
      message: 'unknown trait "x" (did you mean "Home Country"?)',
    };
    expect(locate(spaced, spans).suggestion?.replacement).toBe('trait("Home Country")');
  });

  it("falls back to the nearest enclosing part, and to the start for the document as a whole", () => {
    const deeper = locate({ path: "where.all[1].of", message: '"of" does not apply' }, spans);
    expect(deeper.at).toEqual(at(4, 7, 4, 30));
    const header = locate({ path: "id", message: "bad" }, new Map());
    expect(header.at).toEqual(at(1, 1, 1, 1));
    // No replacement in a place the path fell back to: it would overwrite more than the name.
    expect(
      locate({ path: "where.all[1].of", message: 'x (did you mean "total"?)' }, spans).suggestion,
    ).toEqual({ value: "total", replacement: null });
  });

  it("reads the suggestion of a message, escaped or not, and none where there is none", () => {
    expect(suggestionIn('unknown trait "contry" (did you mean "country"?)')).toBe("country");
    expect(suggestionIn('never takes the value "a" (did you mean "say \\"hi\\""?)')).toBe('say "hi"');
    expect(suggestionIn('unknown segment "a" (did you mean "he said "no""?)')).toBe('he said "no"');
    expect(suggestionIn('never takes the value "x" (its values: "DE", "FR")')).toBeUndefined();
  });
});

describe("a segment printed as text", () => {
  it("reads back as the same document", () => {
    fc.assert(
      fc.property(condition, fc.boolean(), (where, described) => {
        const def = { id: "s", name: "Some name", ...(described ? { description: "why" } : {}), where };
        expect(parseSegmentText(printSegment(def))).toEqual(def);
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it("puts each item of a top-level group on a line of its own", () => {
    expect(
      printSegment({
        id: "a",
        name: "A",
        where: {
          all: [
            { trait: "age", gte: 30 },
            { any: [{ trait: "country", eq: "DE" }, { consent: "marketing" }] },
          ],
        },
      }),
    ).toBe('id: a\nname: A\nwhere: age >= 30\n  and (country = "DE" or consent("marketing"))\n');
  });
});

describe.each(TEST_ENGINES)("checkDefinition on $name", ({ location }) => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore(location());
    const rows = ["customer_id,country,age", "c1,DE,30", "c2,FR,41", "c3,DE,52"];
    const path = writeFile(tempDir(), "customers.csv", `${rows.join("\n")}\n`);
    await store.write((s) => importFile(s, { kind: "customers", path }));
  });
  afterAll(() => store?.close());

  it("gives a text's problems at their line and column, with the JSON it parses to", async () => {
    const text = 'id: de\nname: Germans\nwhere: age >= 30\n  and contry = "DE"';
    const r = await store.read((s) => checkDefinition(s, text));
    expect(r).toMatchObject({ valid: false, form: "text", text });
    expect(r.document).toEqual({
      id: "de",
      name: "Germans",
      where: {
        all: [
          { trait: "age", gte: 30 },
          { trait: "contry", eq: "DE" },
        ],
      },
    });
    expect(r.issues).toEqual([
      {
        path: "where.all[1].trait",
        message: 'unknown trait "contry" (did you mean "country"?)',
        at: at(4, 7, 4, 13),
        suggestion: { value: "country", replacement: "country" },
      },
    ]);
  });

  it("gives a valid text's warnings in place, and a text that does not parse its one problem", async () => {
    const r = await store.read((s) => checkDefinition(s, 'id: de\nname: G\nwhere: country = "de"'));
    expect(r.valid).toBe(true);
    expect(r.issues).toEqual([]);
    expect(r.warnings).toEqual([
      {
        path: "where.eq",
        message: 'trait country never takes the value "de" (did you mean "DE"?)',
        at: at(3, 18, 3, 22),
        suggestion: { value: "DE", replacement: '"DE"' },
      },
    ]);
    const bad = await store.read((s) => checkDefinition(s, "id: de\nname: G\nwhere: age >="));
    expect(bad).toMatchObject({ valid: false, document: null, warnings: [] });
    expect(bad.issues).toEqual([
      {
        path: "line 3, column 14",
        message: 'expected a value (a "string", a number, true, false or ago(30d)), found the end',
        at: at(3, 14, 3, 15),
        suggestion: null,
      },
    ]);
  });

  it("prints a JSON document as text, and gives its problems by path", async () => {
    const doc = {
      id: "de",
      name: "Germans",
      where: {
        all: [
          { trait: "country", eq: "DE" },
          { trait: "agee", gt: 1 },
        ],
      },
    };
    const r = await store.read((s) => checkDefinition(s, doc));
    expect(r).toMatchObject({ valid: false, form: "json", document: doc });
    expect(r.text).toBe('id: de\nname: Germans\nwhere: country = "DE"\n  and agee > 1\n');
    expect(r.issues).toEqual([
      {
        path: "where.all[1].trait",
        message: 'unknown trait "agee" (did you mean "age"?)',
        at: null,
        suggestion: { value: "age", replacement: "age" },
      },
    ]);
    // A description with a line break has no header line that keeps it.
    const broken = await store.read((s) =>
      checkDefinition(s, { id: "x", name: "X", description: "two\nlines", where: { trait: "age", gt: 1 } }),
    );
    expect(broken).toMatchObject({ valid: true, text: null });
  });
});
