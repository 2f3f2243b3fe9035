/**
 * Values no real customer data holds, shared by the audit (which flags them) and the reports (which leave them out
 * and say so).
 *
 * No order or line in any currency comes to a trillion units: amounts at or above this (a `1e308` typed for a
 * total, a price pasted into the quantity column, a placeholder of nines) cannot be real money. The import keeps
 * them (it refuses only what is not a finite number); `tessera audit` flags them (implausible-amounts).
 */
export const IMPLAUSIBLE_AMOUNT = 1e12;
