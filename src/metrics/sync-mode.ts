/**
 * The mode label of a sync's metrics, read from its sync id (`makeSyncId` puts the requested
 * mode in it): the activities receive the sync id, not the mode.
 */
import type { SyncMode } from '../sync/types';

export function syncModeOf(syncId: string): SyncMode | 'unknown' {
  const m = /^\d{8}T\d{6}Z-(full|incremental)-/.exec(syncId);
  return m ? (m[1] as SyncMode) : 'unknown';
}
