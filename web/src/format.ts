/** Numbers and dates as the dashboard shows them (en-US grouping, as the CLI prints them). */
const whole = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
const money = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export const formatCount = (n: number): string => whole.format(n);
export const formatNumber = (n: number): string => decimal.format(n);
export const formatMoney = (n: number): string => money.format(n);
export const formatShare = (share: number, digits = 1): string => `${(share * 100).toFixed(digits)}%`;

/** A date-time as `2026-06-30 23:59` (UTC, as every time the API gives). */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

export const formatDate = (iso: string | null | undefined): string => (iso ? iso.slice(0, 10) : "—");

/** How a cell suppressed by the k-gate reads (`<10`): never a number that could be mistaken for a count. */
export const suppressedText = (k: number): string => `<${k}`;
