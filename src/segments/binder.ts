import type { ColumnType, Dialect, SqlValue } from "../store/engine.js";

/** Collects bound parameters while SQL is generated: no value is ever spliced into SQL text. */
export class Binder {
  readonly values: SqlValue[] = [];
  constructor(private readonly d: Dialect) {}
  /** A placeholder for `value`, cast to `type`. */
  bind(value: SqlValue, type: ColumnType): string {
    this.values.push(value);
    return this.d.param(this.values.length, type);
  }
}
