/**
 * The real workflows, deliberately made nondeterministic: each sleeps 1 ms before doing what it
 * always did, so its first command is a timer where the recorded history has an activity. The
 * replay test (test/unit/workflows/replay.test.ts) shows its recorded histories fail against
 * this, i.e. that replay really catches a change that would break running syncs.
 */
import { sleep } from '@temporalio/workflow';
import type { CoordinatorInput, SyncInput, SyncResult } from '../../../src/contract';
import {
  oktaSync as realOktaSync,
  orgCoordinator as realOrgCoordinator,
} from '../../../src/workflows';

export async function oktaSync(input: SyncInput): Promise<SyncResult> {
  await sleep(1);
  return realOktaSync(input);
}

export async function orgCoordinator(input: CoordinatorInput): Promise<void> {
  await sleep(1);
  return realOrgCoordinator(input);
}
