/** Colours of the value and discovery charts (the stylesheet's ink and accent; fills dark enough for white text). */
export const INK = "#1c2430";
export const MUTED = "#5a6472";
export const VALUE_FILL = "#1f5fbf";
export const VALUE_FILL_LIGHT = "#dbe7f7";
/** Bars that carry dark text over them (ink on it passes WCAG AA). */
export const BAR_FILL = "#b7cdee";
/** A cell the k-gate suppressed: no count behind its colour. */
export const SUPPRESSED_FILL = "#eceff3";
/** What a chart marks as chosen (the stylesheet's error red: strong against the accent blue). */
export const BAD = "#b42318";
