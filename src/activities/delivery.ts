/**
 * The delivery activity: a page's events (page-events.ts) handed to the sink as one part,
 * resumable — the sink's progress is the heartbeat checkpoint a retry starts from.
 */
import { Context, log } from '@temporalio/activity';
import * as path from 'node:path';
import type { UserInventoryInfo } from '../ocsf/types';
import { ENRICHMENT_KINDS } from '../okta/types';
import { pagePartId } from '../sync/naming';
import type { DeliverPageInput, DeliverPageResult } from '../sync/types';
import { toApplicationFailure } from './failures';
import { eventsOfPage } from './page-events';
import type { PagePipeline } from './page-pipeline';

/** Maps the page's users to OCSF, validates every event, and delivers them as one part. */
export async function deliverPage(
  p: PagePipeline,
  input: DeliverPageInput,
): Promise<DeliverPageResult> {
  const { syncId, page } = input;
  const { events, tally } = await eventsOfPage(p, input);
  const delivered = await deliverPart(p, syncId, pagePartId(page), events);
  // Operators want the sync's folder, not the page's file, in the summary.
  const loc = delivered.location;
  const partFile = `${pagePartId(page)}.ndjson`;
  const location = loc !== null && loc.endsWith(partFile) ? path.dirname(loc) : loc;
  p.metrics?.usersSkipped(syncId, tally.skipped);
  for (const kind of ENRICHMENT_KINDS) {
    p.metrics?.fellBack(syncId, kind, tally.fallbacksByKind[kind]);
  }
  return { ...tally, events: delivered.delivered, location };
}

/**
 * The events go to the sink from where an earlier attempt stopped: they are rebuilt from staging
 * in the same order on every attempt (only `time` differs), so "the first N were accepted" holds.
 */
async function deliverPart(
  p: PagePipeline,
  syncId: string,
  partId: string,
  events: UserInventoryInfo[],
): Promise<{ delivered: number; location: string | null }> {
  const ctx = Context.current();
  let progress = resumedDelivery(ctx.info.heartbeatDetails, syncId, partId);
  if (progress > 0) log.info('delivery resumes', { partId, alreadyDelivered: progress });
  // The checkpoint a retry resumes from; the liveness timer (liveness.ts) repeats it while
  // the sink waits for its receiver between two accepted batches.
  const beat = (): void => ctx.heartbeat({ syncId, partId, delivered: progress });
  // Events the sink accepted in this attempt, for the metrics (as they are accepted).
  let counted = progress;
  const countDelivered = (upTo: number): void => {
    p.metrics?.eventsDelivered(syncId, p.sink.kind, Math.max(0, upTo - counted));
    counted = Math.max(counted, upTo);
  };
  try {
    const delivered = await p.sink.deliver(
      { syncId, partId, events },
      {
        alreadyDelivered: progress,
        onProgress: (n) => {
          progress = n;
          countDelivered(n);
          beat();
        },
        onRetry: () => p.metrics?.sinkRetried(syncId, p.sink.kind),
      },
    );
    countDelivered(delivered.delivered);
    return { delivered: delivered.delivered, location: delivered.location ?? null };
  } catch (err) {
    // SinkTransientError is retried by Temporal (from `progress`); SinkRejectedError stops the sync.
    throw toApplicationFailure(err);
  }
}

/**
 * Events of this part accepted by an earlier attempt, from the heartbeat it left
 * (`{syncId, partId, delivered}`); 0 when there is none or it belongs to another part.
 */
export function resumedDelivery(details: unknown, syncId: string, partId: string): number {
  if (details === null || typeof details !== 'object') return 0;
  const d = details as Record<string, unknown>;
  const n = d.delivered;
  if (d.syncId !== syncId || d.partId !== partId) return 0;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : 0;
}
