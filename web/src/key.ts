/**
 * The API key the dashboard calls with. `tessera serve --dashboard` prints a URL whose fragment holds a key
 * (`/#key=tsk_…`): a fragment never reaches a server or a log, and is removed from the address bar at once. The key
 * is kept in this browser's local storage until "Sign out".
 */
const STORED = "tessera.key";

export function takeKeyFromUrl(): void {
  const m = /(?:^#|&)key=([^&]+)/.exec(window.location.hash);
  if (!m) return;
  localStorage.setItem(STORED, decodeURIComponent(m[1] as string));
  history.replaceState(null, "", window.location.pathname + window.location.search);
}

export function currentKey(): string | null {
  return localStorage.getItem(STORED);
}

export function setKey(key: string): void {
  localStorage.setItem(STORED, key.trim());
}

export function forgetKey(): void {
  localStorage.removeItem(STORED);
}
