/** How contact details look, for every module that judges them (the importer's notes, the audit). */

/**
 * A plausible email address: one @, a non-empty local part, a domain of dot-separated non-empty labels (so at
 * least one dot), no blanks. Deliberately loose: it catches typing and export accidents, not every RFC 5322
 * corner. The importer's "kept and flagged" note and the audit use this one pattern.
 */
export const EMAIL_PATTERN = "[^@\\s]+@[^@\\s.]+(\\.[^@\\s.]+)+";
