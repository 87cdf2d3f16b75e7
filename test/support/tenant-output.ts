/**
 * What a correct full sync of a simulated tenant delivers, whatever faults it met on the way: one
 * event per non-deprovisioned user (mapping contract, "Which users": full sync, each exactly
 * once), each equal to the mapping of the simulator's own data for that user — which is what a
 * fault-free run delivers (full-sync.test.ts) — except for the users whose enrichments fell back
 * after exhausted retries, whose events carry the documented defaults and say so.
 */
import { mapUserToOcsf } from '../../src/ocsf/map-user';
import type { UserInventoryInfo } from '../../src/ocsf/types';
import { validateEvent } from '../../src/ocsf/validate';
import type { EnrichmentKind } from '../../src/okta/types';
import type { OktaSimulator } from '../../src/simulator';
import { startSync, syncInput, followSync, type SyncSummary } from '../../src/cli/sync-runner';
import { SYNC_WORKFLOW_TYPE, syncWorkflowId, type OktaSyncWorkflow } from '../../src/contract';
import type { SyncInput, SyncResult } from '../../src/sync/types';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { AppConfig } from '../../src/config';

/** Users the tenant holds that a full sync must emit. */
export function expectedUserIds(sim: OktaSimulator): string[] {
  return sim.tenant
    .listUsers()
    .filter((u) => u.status !== 'DEPROVISIONED')
    .map((u) => u.id);
}

/** The event a fault-free sync emits for `userId`, observed at `observedAtMs`. */
export function tenantEvent(
  sim: OktaSimulator,
  userId: string,
  observedAtMs: number,
  fellBack: readonly EnrichmentKind[] = [],
): UserInventoryInfo {
  const truth = sim.tenant.enriched(userId);
  // The documented fallbacks (mapping contract, "When an enrichment call fails").
  const input = { ...truth, enrichmentErrors: [...fellBack] };
  if (fellBack.includes('groups')) input.groups = [];
  // As if every group of the user fell back; a test of one group's fallback must model it itself.
  if (fellBack.includes('group_roles') || fellBack.includes('groups')) input.groupRoles = {};
  if (fellBack.includes('factors')) input.factors = [];
  if (fellBack.includes('user_roles')) input.roles = [];
  return mapUserToOcsf(input, { observedAtMs });
}

/**
 * Same set of uids as the tenant's non-deprovisioned users, one event each, every event valid and
 * deep-equal to the mapping of the simulator's data (with `fellBack`'s kinds for those users).
 */
export function expectTenantOutput(
  events: readonly UserInventoryInfo[],
  sim: OktaSimulator,
  fellBack: Readonly<Record<string, readonly EnrichmentKind[]>> = {},
): void {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.user.uid, (counts.get(e.user.uid) ?? 0) + 1);
  const duplicated = [...counts].filter(([, n]) => n > 1).map(([uid, n]) => `${uid} ×${n}`);
  expect(duplicated).toEqual([]);

  const expected = expectedUserIds(sim);
  const missing = expected.filter((id) => !counts.has(id));
  const unexpected = [...counts.keys()].filter((uid) => !expected.includes(uid));
  expect({ missing, unexpected }).toEqual({ missing: [], unexpected: [] });
  expect(events.length).toBe(expected.length);

  for (const got of events) {
    expect(() => validateEvent(got)).not.toThrow();
    expect(got).toEqual(tenantEvent(sim, got.user.uid, got.time, fellBack[got.user.uid] ?? []));
  }
}

export interface FinishedSync {
  summary: SyncSummary;
  /** The workflow's result, when it completed (its totals have the per-kind fallbacks). */
  result: SyncResult | null;
  handle: WorkflowHandle;
  /** The coordinator's child workflow that ran the sync (its history has the activities). */
  syncHandle: WorkflowHandle | null;
}

/**
 * Starts a full sync of the configured org with `extra` merged into the workflow input (e.g.
 * `enrichRetry`), and follows it to its end.
 */
export async function runFullSync(
  client: Client,
  config: AppConfig,
  extra: Partial<SyncInput> = {},
): Promise<FinishedSync> {
  let handle: WorkflowHandle<OktaSyncWorkflow>;
  let workflowId: string;
  if (Object.keys(extra).length === 0) {
    const started = await startSync(client, config, 'full');
    handle = started.handle;
    workflowId = started.workflowId;
  } else {
    workflowId = syncWorkflowId(config.orgUrl!, 'full');
    handle = await client.workflow.start<OktaSyncWorkflow>(SYNC_WORKFLOW_TYPE, {
      taskQueue: config.temporal.taskQueue,
      workflowId,
      args: [{ ...syncInput(config, 'full'), ...extra }],
    });
  }
  const summary = await followSync(handle, workflowId);
  const result =
    summary.status === 'completed' ? ((await handle.result()) as SyncResult | null) : null;
  const syncHandle = summary.child ? client.workflow.getHandle(summary.child.workflowId) : null;
  return { summary, result, handle, syncHandle };
}
