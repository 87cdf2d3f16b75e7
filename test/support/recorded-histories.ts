/**
 * Recorded workflow histories (test/fixtures/histories): written by
 * test/integration/record-histories.test.ts, replayed by test/unit/workflows/replay.test.ts.
 * One file per workflow run, `<scenario>.run<N>.json`: the `temporal.api.history.v1.History`
 * message as protobufjs writes it (`toObject`: enums by name, 64-bit numbers and bytes as
 * strings), read back with `fromObject`. Not `historyToJSON`: in this install
 * @temporalio/common's protojson comes from a second protobufjs (8.x) that refuses the 7.x
 * message types of @temporalio/proto ("type must be a Type").
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { History } from '@temporalio/common/lib/proto-utils';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export const HISTORIES_DIR = path.resolve(__dirname, '..', 'fixtures', 'histories');

export interface RecordedHistory {
  /** The file's name without `.json`: `<scenario>.run<N>`. */
  workflowId: string;
  history: History;
}

const HistoryMessage = temporal.api.history.v1.History;

function historyJson(h: History): string {
  const message = HistoryMessage.fromObject(h as Record<string, unknown>);
  const object = HistoryMessage.toObject(message, { longs: String, enums: String, bytes: String });
  return `${JSON.stringify(object, null, 1)}\n`;
}

/** Every run of a continue-as-new chain, first to last, following each run's successor. */
export async function fetchChain(
  client: Client,
  workflowId: string,
  firstRunId: string,
): Promise<History[]> {
  const runs: History[] = [];
  let runId: string | null | undefined = firstRunId;
  while (runId) {
    const history: History = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    runs.push(history);
    const last = history.events?.[history.events.length - 1];
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
  }
  return runs;
}

/** Replaces the scenario's files with these runs. */
export async function saveScenario(scenario: string, runs: History[]): Promise<void> {
  await fs.mkdir(HISTORIES_DIR, { recursive: true });
  for (const f of readdirSync(HISTORIES_DIR)) {
    if (f.startsWith(`${scenario}.run`)) await fs.rm(path.join(HISTORIES_DIR, f));
  }
  for (const [i, h] of runs.entries()) {
    await fs.writeFile(path.join(HISTORIES_DIR, `${scenario}.run${i + 1}.json`), historyJson(h));
  }
}

export function loadRecordedHistories(): RecordedHistory[] {
  return readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({
      workflowId: f.replace(/\.json$/, ''),
      history: HistoryMessage.fromObject(
        JSON.parse(readFileSync(path.join(HISTORIES_DIR, f), 'utf8')) as Record<string, unknown>,
      ),
    }));
}
