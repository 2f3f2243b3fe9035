/** What a loader did with the valid staged rows: written (new or changed) or found already present. */
export interface LoadCounts {
  readonly inserted: number;
  readonly alreadyPresent: number;
}
