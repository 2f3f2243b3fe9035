import { describe, expect, it } from "vitest";
import { z } from "zod";
import * as everything from "./index.js";
import { OPERATIONS, operationNamed } from "./index.js";

const isOperation = (v: unknown): v is (typeof OPERATIONS)[number] =>
  typeof v === "object" && v !== null && "name" in v && "input" in v && "run" in v && "access" in v;

describe("the operations registry", () => {
  it("lists every exported operation once, under a unique dotted name", () => {
    const exported = Object.values(everything).filter(isOperation);
    expect(new Set(exported)).toEqual(new Set(OPERATIONS));
    const names = OPERATIONS.map((op) => op.name);
    expect(new Set(names).size).toBe(names.length);
    // Dotted, each part a word or words joined by hyphens, as the CLI's commands are (`privacy.audit-log`).
    for (const name of names) expect(name).toMatch(/^[a-z]+(-[a-z]+)*(\.[a-z]+(-[a-z]+)*)*$/);
    expect(operationNamed("segment.refresh")?.access).toBe("write");
    expect(operationNamed("no.such")).toBeUndefined();
  });

  it("gives each a summary and an input schema that reads as JSON Schema (the API's request bodies)", () => {
    for (const op of OPERATIONS) {
      expect(op.summary.length, op.name).toBeGreaterThan(10);
      const schema = z.toJSONSchema(op.input, { io: "input", unrepresentable: "any" }) as { type?: string };
      expect(schema.type, op.name).toBe("object");
    }
  });

  it("refuses unknown input fields, naming the operation and the field", () => {
    for (const op of OPERATIONS) {
      const r = op.input.safeParse({ noSuchField: 1 });
      expect(r.success, op.name).toBe(false);
    }
    expect(() =>
      everything.parseInput(everything.segmentRefreshOperation, { minSize: 1, tables: 1 }),
    ).toThrow("segment.refresh: tables: unknown field");
  });
});
