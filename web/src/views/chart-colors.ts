/** Colours of the value and discovery charts (the stylesheet's ink and accent; fills dark enough for white text). */
export const INK = "#1c2430";
export const MUTED = "#5a6472";
export const VALUE_FILL = "#1f5fbf";
export const VALUE_FILL_LIGHT = "#dbe7f7";
/** A cell the k-gate suppressed: no count behind its colour. */
export const SUPPRESSED_FILL = "#eceff3";
