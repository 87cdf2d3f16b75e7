/**
 * Temporal's own account of a sync: the history of every run of its continue-as-new chain,
 * followed from the first run through each `ContinuedAsNew` event's new run id (not through
 * visibility, which may lag). Size is the history's protobuf encoding, as the server stores and
 * sends it — what Temporal's 50 MB / 51,200-event limits are about.
 */
import type { Client } from '@temporalio/client';
import { google, temporal } from '@temporalio/proto';

export interface RunHistory {
  runId: string;
  events: number;
  bytes: number;
  /** Activities this run scheduled. */
  activities: number;
  /** How the run ended: ContinuedAsNew, Completed, Failed, … */
  closedAs: string;
  /** Per activity type: executions and their total time from scheduled to closed, ms. */
  activityTime: Record<string, { count: number; totalMs: number }>;
}

export interface ChainHistory {
  runs: RunHistory[];
  totalEvents: number;
  totalBytes: number;
  largestRunEvents: number;
  largestRunBytes: number;
}

const EventType = temporal.api.enums.v1.EventType;
const MAX_RUNS = 100_000;

export async function chainHistory(
  client: Client,
  workflowId: string,
  firstRunId: string,
): Promise<ChainHistory> {
  const runs: RunHistory[] = [];
  let runId: string | null = firstRunId;
  while (runId !== null && runs.length < MAX_RUNS) {
    const history: temporal.api.history.v1.IHistory = await client.workflow
      .getHandle(workflowId, runId)
      .fetchHistory();
    const events = history.events ?? [];
    const last = events[events.length - 1];
    let activities = 0;
    const scheduled = new Map<string, { type: string; at: number }>();
    const activityTime: RunHistory['activityTime'] = {};
    for (const e of events) {
      const at = millis(e.eventTime);
      const id = e.eventId?.toString() ?? '';
      if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
        activities += 1;
        const type = e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
        scheduled.set(id, { type, at });
        continue;
      }
      const closed =
        e.activityTaskCompletedEventAttributes ??
        e.activityTaskFailedEventAttributes ??
        e.activityTaskTimedOutEventAttributes ??
        e.activityTaskCanceledEventAttributes;
      const from = closed?.scheduledEventId
        ? scheduled.get(closed.scheduledEventId.toString())
        : undefined;
      if (from) {
        const t = (activityTime[from.type] ??= { count: 0, totalMs: 0 });
        t.count += 1;
        t.totalMs += at - from.at;
      }
    }
    const lastType = last?.eventType ?? EventType.EVENT_TYPE_UNSPECIFIED;
    runs.push({
      runId,
      events: events.length,
      bytes: temporal.api.history.v1.History.encode(history).finish().length,
      activities,
      activityTime,
      closedAs: (EventType[lastType] ?? String(lastType)).replace(
        /^EVENT_TYPE_WORKFLOW_EXECUTION_/,
        '',
      ),
    });
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? null;
  }
  return {
    runs,
    totalEvents: runs.reduce((s, r) => s + r.events, 0),
    totalBytes: runs.reduce((s, r) => s + r.bytes, 0),
    largestRunEvents: Math.max(0, ...runs.map((r) => r.events)),
    largestRunBytes: Math.max(0, ...runs.map((r) => r.bytes)),
  };
}

function millis(t: google.protobuf.ITimestamp | null | undefined): number {
  if (!t) return 0;
  return Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}
