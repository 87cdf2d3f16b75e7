/**
 * The contract between the workflows and everything outside them (CLI, worker, activities,
 * schedules, tests): names, definitions and types that cross Temporal, and the error table.
 * Workflow-safe: plain values and `define*` calls only.
 */
export * from './temporal-contract';
export * from './error-table';
export * from './activity-budget';
export type {
  SyncInput,
  SyncMode,
  SyncProgress,
  SyncResult,
  SyncStatus,
  SyncTotals,
} from '../sync/types';
export type {
  CoordinatorInput,
  CoordinatorState,
  RequestAnswer,
  SyncChild,
  SyncRequest,
  SyncRequestRef,
} from '../sync/coordination';
