/** What the privacy routes answer (src/privacy, src/operations): the fields this view reads. */

export interface CoverageCell {
  purpose: string;
  /** null: the purpose on any channel. */
  channel: string | null;
  granted: number | null;
  share: number | null;
  suppressed: boolean;
}

/** GET /api/privacy/consent-coverage */
export interface ConsentCoverage {
  asOf: string;
  customers: number;
  purposes: string[];
  channels: string[];
  cells: CoverageCell[];
  minGroup: number;
  noise: { epsilon: string } | null;
}

export interface AuditEntry {
  seq: number | null;
  at: string;
  who: string;
  action: string | null;
  subject: string | null;
  purpose: string | null;
  people: number;
  what: string;
}

/** GET /api/privacy/audit-log/entries */
export interface AuditPage {
  entries: AuditEntry[];
  total: number;
  actions: { action: string; entries: number }[];
}

/** GET /api/privacy/settings */
export interface PrivacySettings {
  settings: {
    name: string;
    value: string | number | boolean | null;
    default: string | number | boolean | null;
    description: string;
    updatedAt: string | null;
    updatedBy: string | null;
  }[];
  minGroupFloor: number;
}

/** GET /api/privacy/retention */
export interface Retention {
  periods: { kind: string; period: string | null; updatedAt: string | null; updatedBy: string | null }[];
}

/** POST /api/privacy/erasures */
export interface ErasureResult {
  erasure: string;
  tables: Record<string, number>;
  rowsRemoved: number;
  tombstones: number;
  verified: {
    tables: boolean;
    bytes: boolean | null;
    foundIn: string[];
    awaitingCleanup: string[];
    searched: number;
    tooShortToSearch: number;
    files: number;
    bytesRead: number;
  };
  seconds: number;
}
