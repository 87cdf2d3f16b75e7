/**
 * Looking for a value where it must not be: in Temporal histories (as protobuf bytes, as proto
 * JSON, as `temporal workflow show --output json` prints them), in process output, in files.
 *
 * A value can hide in a history in several spellings: UTF-8 inside a payload's bytes, base64
 * inside the JSON form of those bytes (at any of three byte alignments), or base64url. `whereFound`
 * tries them all, so "not found" means not found in any of them.
 */
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { execFile } from 'node:child_process';
import { syncChildWorkflowId } from '../../src/contract';
import { temporalAddress } from './sync-harness';

export interface Haystack {
  /** Where the text comes from, for the failure message. */
  name: string;
  data: Buffer | string;
}

/** The base64 spellings of `needle` at byte offsets 0, 1 and 2 of an enclosing buffer. */
export function base64Forms(needle: string): string[] {
  const bytes = Buffer.from(needle, 'utf8');
  const forms: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    // Characters that also depend on the unknown neighbouring bytes are cut off at both ends.
    const start = [0, 2, 3][offset] as number;
    const end = Math.floor(((offset + bytes.length) * 8) / 6);
    const core = encoded.slice(start, end);
    forms.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...new Set(forms)];
}

/** Each place (haystack and spelling) where `needle` occurs; empty when it occurs nowhere. */
export function whereFound(haystacks: readonly Haystack[], needle: string): string[] {
  if (needle.length < 8) throw new Error('whereFound: a needle this short would match by chance');
  const found: string[] = [];
  const spellings: [string, string][] = [
    ['utf-8', needle],
    ...base64Forms(needle).map((f): [string, string] => ['base64', f]),
    ['url-encoded', encodeURIComponent(needle)],
  ];
  for (const h of haystacks) {
    const buf = typeof h.data === 'string' ? Buffer.from(h.data, 'utf8') : h.data;
    for (const [how, s] of spellings) {
      if (buf.includes(Buffer.from(s, 'utf8'))) found.push(`${h.name} (${how})`);
    }
  }
  return [...new Set(found)];
}

export interface RunRef {
  workflowId: string;
  runId: string;
  status: string;
}

/** Every run of `workflowId` that visibility lists, waiting (bounded) until none is running. */
export async function runsOf(
  client: Client,
  workflowId: string,
  expected: number,
  timeoutMs = 30_000,
): Promise<RunRef[]> {
  const end = Date.now() + timeoutMs;
  let runs: RunRef[] = [];
  while (Date.now() < end) {
    runs = [];
    for await (const wf of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      runs.push({ workflowId: wf.workflowId, runId: wf.runId, status: wf.status.name });
    }
    if (runs.length >= expected && runs.every((r) => r.status !== 'RUNNING')) return runs;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `visibility lists ${runs.length} runs of ${workflowId} (${runs.map((r) => r.status).join(', ')}), expected ${expected} closed ones`,
  );
}

export type History = temporal.api.history.v1.History;

/** The history of each run, in the three forms a secret could be read from. */
export async function historyHaystacks(
  client: Client,
  runs: readonly RunRef[],
): Promise<{ histories: History[]; haystacks: Haystack[] }> {
  const histories: History[] = [];
  const haystacks: Haystack[] = [];
  for (const r of runs) {
    // Typed as the plain interface; `create` gives the message class (encode, toJSON).
    const h = temporal.api.history.v1.History.create(
      await client.workflow.getHandle(r.workflowId, r.runId).fetchHistory(),
    );
    histories.push(h);
    haystacks.push(
      {
        name: `history ${r.runId} (protobuf)`,
        data: Buffer.from(temporal.api.history.v1.History.encode(h).finish()),
      },
      { name: `history ${r.runId} (proto JSON)`, data: JSON.stringify(h.toJSON()) },
    );
    const shown = await temporalShow(r.workflowId, r.runId);
    if (shown !== null) haystacks.push({ name: `temporal workflow show ${r.runId}`, data: shown });
  }
  return { histories, haystacks };
}

/**
 * `temporal workflow show --output json` of one run with the CLI the global setup found
 * (TEMPORAL_CLI); null when the tests run against a server of the caller's without one.
 */
export function temporalShow(workflowId: string, runId: string): Promise<string | null> {
  const cli = process.env.TEMPORAL_CLI;
  if (!cli) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    execFile(
      cli,
      [
        'workflow',
        'show',
        '--workflow-id',
        workflowId,
        '--run-id',
        runId,
        '--output',
        'json',
        '--address',
        temporalAddress(),
        '--namespace',
        'default',
        '--disable-config-file',
        '--disable-config-env',
      ],
      { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`temporal workflow show failed: ${err.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

/** Every Payload inside a decoded protobuf message (input, result, memo, failures, headers…). */
export function payloadsIn(message: unknown): Payload[] {
  const out: Payload[] = [];
  const seen = new Set<unknown>();
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v) || v instanceof Uint8Array) return;
    seen.add(v);
    if (isPayload(v)) {
      out.push(v);
      return;
    }
    for (const child of Array.isArray(v) ? v : Object.values(v)) walk(child);
  };
  walk(message);
  return out;
}

function isPayload(v: object): v is Payload {
  const p = v as { data?: unknown; metadata?: unknown };
  return (
    p.data instanceof Uint8Array &&
    typeof p.metadata === 'object' &&
    p.metadata !== null &&
    Object.values(p.metadata).every((m) => m instanceof Uint8Array)
  );
}

/** The `encoding` metadata of a payload, as text. */
export function encodingOf(p: Payload): string {
  const e = p.metadata?.encoding;
  return e ? Buffer.from(e).toString('utf8') : '';
}

/** Every Failure in a history (events' failures and their causes), for checks on messages. */
export function failuresIn(history: History): temporal.api.failure.v1.IFailure[] {
  const out: temporal.api.failure.v1.IFailure[] = [];
  const seen = new Set<unknown>();
  const walk = (v: unknown, key: string): void => {
    if (v === null || typeof v !== 'object' || seen.has(v) || v instanceof Uint8Array) return;
    seen.add(v);
    if ((key === 'failure' || key === 'cause') && 'message' in v) {
      out.push(v as temporal.api.failure.v1.IFailure);
    }
    for (const [k, child] of Array.isArray(v) ? v.entries() : Object.entries(v)) {
      walk(child, String(k));
    }
  };
  walk(history, '');
  return out;
}

/**
 * Every run of the syncs started under `requestId`: the requests themselves (one run each) and
 * the coordinator's children that ran them (`<request id>-child`, with their continue-as-new runs).
 */
export async function syncRunsOf(
  client: Client,
  requestId: string,
  expected: { requests: number; childRuns: number },
): Promise<RunRef[]> {
  return [
    ...(await runsOf(client, requestId, expected.requests)),
    ...(await runsOf(client, syncChildWorkflowId(requestId), expected.childRuns)),
  ];
}
