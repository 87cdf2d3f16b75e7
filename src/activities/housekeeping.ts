/** The end of a sync on this worker: what it staged and indexed is dropped. */
import { promises as fs } from 'node:fs';
import type { FinishSyncInput } from '../sync/types';
import { membershipIndexDir } from './membership-index-build';
import type { PagePipeline } from './page-pipeline';

/** Drops the sync's staging and membership index; its events are delivered. */
export async function finishSync(p: PagePipeline, input: FinishSyncInput): Promise<void> {
  p.groupRoles.forget(input.orgUrl, input.syncId);
  await p.staging.removeSync(input.orgUrl, input.syncId);
  await fs.rm(membershipIndexDir(p.staging.root, input.orgUrl, input.syncId), {
    recursive: true,
    force: true,
  });
}
