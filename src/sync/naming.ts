/**
 * Names operators see in the Temporal UI, and that make two syncs of one org and mode collide
 * on purpose. Pure string functions: imported by workflow code too.
 */
import type { SyncMode } from './types';

/** `https://acme.okta.com` → `acme.okta.com`; `http://127.0.0.1:8080` → `127.0.0.1_8080`. */
export function orgKey(orgUrl: string): string {
  const withoutScheme = orgUrl.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  return withoutScheme.toLowerCase().replace(/[^a-z0-9.-]/g, '_');
}

/**
 * Stable per org and mode: Temporal refuses a second running workflow with the same id, so two
 * full syncs of one org cannot run at once. Scheduled runs get this id plus a timestamp suffix
 * (Temporal adds it); the org's coordinator lets one sync of the org run at a time whatever its id.
 */
export function syncWorkflowId(orgUrl: string, mode: SyncMode): string {
  return `${syncWorkflowIdPrefix(orgUrl)}${mode}`;
}

/** What every sync id of this org starts with (scheduled runs included). */
export function syncWorkflowIdPrefix(orgUrl: string): string {
  return `okta-ocsf-sync-${orgKey(orgUrl)}-`;
}

export function scheduleId(orgUrl: string, mode: SyncMode): string {
  return `okta-ocsf-${orgKey(orgUrl)}-${mode}`;
}

/** Folder-safe id of one sync, the same across its continue-as-new runs. */
export function makeSyncId(startedAt: Date, mode: SyncMode, firstRunId: string): string {
  const stamp = startedAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `${stamp}-${mode}-${firstRunId.replace(/[^a-zA-Z0-9]/g, '').slice(0, 8)}`;
}

/** Name of the part a page is delivered as: the same page always gets the same name. */
export function pagePartId(page: number): string {
  return `page-${String(page).padStart(6, '0')}`;
}
