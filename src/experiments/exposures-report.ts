/** What reading the exposures found besides the people assigned. */
export interface ExposureReport {
  readonly event: string;
  /** People whose first exposure named a variation that is not a variant (null: under k), not assigned. */
  readonly unknownPeople: number | null;
  /** The unknown variation ids, most frequent first (at most 5), with how many first exposures named each. */
  readonly unknownVariations: readonly { readonly variation: string; readonly people: number | null }[];
  /** Assigned people who were later exposed to another variant too (null: under k; counted once each). */
  readonly crossedOver: number | null;
}
