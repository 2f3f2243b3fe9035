/** How contact details look, for every module that judges them (the importer's notes, the audit). */

/**
 * A plausible email address: one @, a non-empty local part, a domain of dot-separated non-empty labels (so at
 * least one dot), no blanks. Deliberately loose: it catches typing and export accidents, not every RFC 5322
 * corner. The importer's "kept and flagged" note and the audit use this one pattern.
 */
export const EMAIL_PATTERN = "[^@\\s]+@[^@\\s.]+(\\.[^@\\s.]+)+";

/**
 * A plausible phone number once spaces, dashes, dots and brackets (PHONE_SEPARATORS) are removed: an optional +
 * and 7–15 digits (E.164's length). The audit and the channel reachability of a segment use this one pattern.
 */
export const PHONE_PATTERN = "\\+?[0-9]{7,15}";
/** What people write between a phone number's digits, removed before PHONE_PATTERN is matched. */
export const PHONE_SEPARATORS = "[\\s().-]";
