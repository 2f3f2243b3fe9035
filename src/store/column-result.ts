import type { ColumnResult } from "./engine.js";

/** A result held as one array per column (each engine's session converts its values to plain JS first). */
export class ColumnarResult implements ColumnResult {
  readonly rowCount: number;
  constructor(
    readonly columns: readonly string[],
    private readonly data: readonly (readonly unknown[])[],
  ) {
    this.rowCount = data[0]?.length ?? 0;
  }
  column(name: string): readonly unknown[] {
    const i = this.columns.indexOf(name);
    if (i < 0) throw new Error(`no column ${name} in result (${this.columns.join(", ")})`);
    return this.data[i] ?? [];
  }
  rows<T>(): T[] {
    const out: Record<string, unknown>[] = [];
    for (let r = 0; r < this.rowCount; r++) {
      const row: Record<string, unknown> = {};
      this.columns.forEach((c, i) => {
        row[c] = this.data[i]?.[r];
      });
      out.push(row);
    }
    return out as T[];
  }
}
