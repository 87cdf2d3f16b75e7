/**
 * Types of the bulk enrichment strategy (workflow input, continue-as-new state, activity inputs
 * and results). Imported by workflow code: types and pure values only.
 */
import type { ActivityCounters, EnrichInput, PageRef } from './types';

/** `OKTA_OCSF_ENRICHMENT`: auto = bulk for full syncs, per-user for incremental ones. */
export type EnrichmentChoice = 'auto' | 'bulk' | 'per-user';
export const ENRICHMENT_CHOICES: readonly EnrichmentChoice[] = ['auto', 'bulk', 'per-user'];

export type EnrichmentStrategy = 'bulk' | 'per-user';

/** What a sync decided about enrichment; carried over continue-as-new and shown in summaries. */
export interface EnrichmentState {
  strategy: EnrichmentStrategy;
  /** Bulk only: when the membership snapshot began, by Okta's clock (ISO). */
  snapshotStart: string | null;
  /** Bulk only: where user roles come from; `per-user` when `iam/assignees/users` was refused. */
  rolesFrom: 'assignees' | 'per-user';
  /** Why a bulk sync reads some enrichment per user after all (shown as a warning). */
  warning: string | null;
  /** Bulk only: the membership index as built. */
  index: BuildIndexResult | null;
}

export type SyncRef = Pick<PageRef, 'orgUrl' | 'syncId'>;

export interface BuildIndexResult extends ActivityCounters {
  snapshotStart: string;
  groups: number;
  users: number;
  memberships: number;
  indexBytes: number;
  /** Groups that answered 404 while their members were read (deleted since listed). */
  groupsGone: number;
  /** Groups already done when this attempt started (0 on a fresh build). */
  resumedAtGroup: number;
  buildMs: number;
}

export interface RoleAssigneesResult extends ActivityCounters {
  /** False when Okta refused the endpoint (403/404): roles are read per user for this sync. */
  available: boolean;
  assignees: number;
  /** Why it was refused, for the warning. */
  refusal: string | null;
}

export interface BulkEnrichInput extends EnrichInput {
  snapshotStart: string;
}
