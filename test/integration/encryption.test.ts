/**
 * Issue 8, payload encryption: with OKTA_OCSF_ENCRYPTION_KEYS set, what Temporal stores is
 * ciphertext. The worker runs as in production (`okta-ocsf worker` from dist/, which bundles the
 * workflow from `workflowsPath` with the data converter's failure converter), so failures raised
 * inside the workflow sandbox are covered as well as activity failures.
 *
 * The raw history (read by a client without the codec) must hold no payload that is not
 * `binary/encrypted`, no failure message or stack in clear, and none of: the org URL (which is in
 * the workflow input and result — it is there if encryption is off), the sync id, the sink's
 * location, a failure's text, the users' e-mail addresses, logins or names. Read through the codec,
 * the same history shows the org URL, the input and the failure text: the data is there, only
 * encrypted.
 */
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { connectClient } from '../../src/cli/connect';
import { followSync, startSync, type SyncSummary } from '../../src/cli/sync-runner';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING } from '../../src/codec/aes-gcm-codec';
import { generateKeyringEntry } from '../../src/codec/keyring';
import { OktaSimulator } from '../../src/simulator';
import { syncWorkflowId } from '../../src/sync/naming';
import type { SyncInput } from '../../src/sync/types';
import {
  encodingOf,
  failuresIn,
  historyHaystacks,
  payloadsIn,
  syncRunsOf,
  whereFound,
  type Haystack,
  type History,
  type RunRef,
} from '../support/history-search';
import { capturedWorker } from '../support/captured-process';
import { CLI, temporalClient, testEnv, waitExit } from '../support/sync-harness';
import { GENEROUS_LIMITS } from '../support/fault-harness';
import { signalGroup, stopWorker } from '../support/worker-process';

jest.setTimeout(180_000);

const TOKEN = `tok-${randomUUID()}`;
const KEY_ENTRY = generateKeyringEntry('it-key-1');
const KEY_MATERIAL = KEY_ENTRY.slice(KEY_ENTRY.indexOf(':') + 1);

describe('with OKTA_OCSF_ENCRYPTION_KEYS, Temporal stores only ciphertext', () => {
  let sim: OktaSimulator;
  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
    sim = await OktaSimulator.start({
      users: 300,
      groups: 30,
      seed: 23,
      token: TOKEN,
      rateLimits: GENEROUS_LIMITS,
    });
  });
  afterAll(async () => sim.close());

  test('full, incremental and failed syncs: raw history is opaque, decoded history is complete', async () => {
    const t = await testEnv(sim.url, TOKEN, {
      OKTA_OCSF_ENCRYPTION_KEYS: KEY_ENTRY,
      OKTA_OCSF_PAGES_PER_RUN: '1',
    });
    expect(t.config.keyring).not.toBeNull();
    const keyring = t.config.keyring!;
    const w = capturedWorker(t.env);
    const worker = w.child;
    // The CLI's client: the same data converter as the worker, from the same configuration.
    const codec = await connectClient(t.config);
    const raw = await temporalClient();
    try {
      const sync = async (mode: 'full' | 'incremental'): Promise<SyncSummary> => {
        const started = await startSync(codec.client, t.config, mode);
        return followSync(started.handle, started.workflowId, { pollMs: 250 });
      };

      const full = await sync('full');
      const listed = sim.tenant.listUsers();
      expect(full).toMatchObject({ status: 'completed', events: listed.length, runs: 2 });

      // The incremental finds its watermark in the memo of the full sync: readable through the codec.
      const changed = sim.tenant.mutate({ update: 4 });
      const incremental = await sync('incremental');
      // One run per page (pages per run 1): the renamed users listed by lastUpdated, and a page
      // of users only the System Log named (membership, role, factor changes), read by id.
      expect(incremental).toMatchObject({ status: 'completed', effectiveMode: 'incremental' });
      expect(incremental.events).toBeGreaterThanOrEqual(changed.updated.length);

      // A failure raised in an activity (401) and rethrown by the workflow (SyncFailed).
      sim.setToken(`revoked-${randomUUID()}`);
      const failed = await sync('full');
      const failureText = 'Okta rejected the API token';
      // Decoded by the client's failure converter: the message is intact for whoever has the key.
      expect(failed.status).toBe('failed');
      expect(failed.error).toContain(failureText);

      signalGroup(worker, 'SIGTERM');
      expect(await waitExit(worker)).toBe(0);

      const runs: RunRef[] = [
        // Listed through the codec client: the raw one cannot even decode the encrypted memo.
        // Two full requests (completed, failed), their children's 2 + 1 runs; the incremental.
        ...(await syncRunsOf(codec.client, syncWorkflowId(sim.url, 'full'), {
          requests: 2,
          childRuns: 3,
        })),
        ...(await syncRunsOf(codec.client, syncWorkflowId(sim.url, 'incremental'), {
          requests: 1,
          childRuns: incremental.runs,
        })),
      ];
      expect(runs).toHaveLength(2 + 3 + 1 + incremental.runs);
      const { histories, haystacks } = await historyHaystacks(raw.client, runs);
      const logs: Haystack = { name: 'worker stdout+stderr', data: w.output() };

      // 1. Every payload of every run is encrypted with our key; every failure is opaque. Except
      // what `patched()` records, which Temporal's SDK core writes outside the payload codec: the
      // patch's id, in its marker and in the TemporalChangeVersion search attribute — checked to
      // be exactly that and nothing else.
      let payloadCount = 0;
      for (const full of histories) {
        const { events, patchRecords } = withoutPatchRecords(full);
        for (const p of patchRecords) {
          expect(PATCH_RECORDS).toContainEqual(defaultPayloadConverter.fromPayload(p));
        }
        const payloads = payloadsIn(events);
        payloadCount += payloads.length;
        for (const p of payloads) {
          expect(encodingOf(p)).toBe(ENCRYPTED_ENCODING);
          expect(Buffer.from(p.metadata!['encryption-key-id']!).toString()).toBe('it-key-1');
        }
        for (const f of failuresIn(full)) {
          expect(f.message).toBe('Encoded failure');
          expect(f.stackTrace ?? '').toBe('');
          expect(f.encodedAttributes).toBeTruthy();
        }
      }
      expect(payloadCount).toBeGreaterThan(runs.length * 3);
      const allFailures = histories.flatMap(failuresIn);
      // The failed run holds at least the activity's failure and the workflow's SyncFailed.
      expect(allFailures.length).toBeGreaterThanOrEqual(2);

      // 2. Nothing readable in the raw forms (protobuf bytes, proto JSON, `temporal workflow show`).
      const secretsOfTheRun = [
        sim.url,
        full.syncId!,
        incremental.syncId!,
        t.outDir,
        failureText,
        TOKEN,
        KEY_MATERIAL,
      ];
      for (const needle of secretsOfTheRun) expect(whereFound(haystacks, needle)).toEqual([]);
      const personal = sim.tenant
        .listUsers({ includeDeprovisioned: true })
        .flatMap((u) => [
          u.profile.email,
          u.profile.login,
          `${u.profile.firstName} ${u.profile.lastName}`,
          u.profile.displayName,
        ])
        .filter((v): v is string => typeof v === 'string' && v.length >= 8);
      expect(personal.length).toBeGreaterThan(listed.length);
      const leaked = personal.filter((v) => whereFound(haystacks, v).length > 0);
      expect(leaked).toEqual([]);
      // The key itself is in no log either.
      expect(whereFound([logs], KEY_MATERIAL)).toEqual([]);
      expect(whereFound([logs], TOKEN)).toEqual([]);

      // 3. Through the codec the same histories do show it all: the data is there, encrypted.
      const decoded = await decodedHaystack(histories, new AesGcmPayloadCodec(keyring));
      expect(whereFound([decoded], sim.url)).not.toEqual([]);
      expect(whereFound([decoded], full.syncId!)).not.toEqual([]);
      expect(whereFound([decoded], t.outDir)).not.toEqual([]);
      expect(whereFound([decoded], failureText)).not.toEqual([]);
      const firstInput = await startInput(histories[0]!, new AesGcmPayloadCodec(keyring));
      expect(firstInput).toMatchObject({ orgUrl: sim.url });
      expect(['full', 'incremental']).toContain(firstInput.mode);
      // The decoded result of the full sync, read as the CLI reads it.
      const result = await resultOf(codec.client, runs, full.syncId!);
      expect(result).toMatchObject({ orgUrl: sim.url, status: 'completed', syncId: full.syncId });
    } finally {
      await stopWorker(worker);
      await codec.close();
      await raw.close();
    }
    await fs.rm(path.dirname(t.outDir), { recursive: true, force: true });
  });
});

/** Every payload of the histories decrypted, as one text (failure attributes included). */
async function decodedHaystack(histories: History[], codec: AesGcmPayloadCodec): Promise<Haystack> {
  const parts: Buffer[] = [];
  for (const h of histories) {
    const decoded: Payload[] = await codec.decode(payloadsIn(h));
    for (const p of decoded) parts.push(Buffer.from(p.data ?? new Uint8Array()));
  }
  return { name: 'decoded payloads', data: Buffer.concat(parts) };
}

async function startInput(history: History, codec: AesGcmPayloadCodec): Promise<SyncInput> {
  const started = history.events[0]?.workflowExecutionStartedEventAttributes;
  const payload = started?.input?.payloads?.[0];
  if (!payload) throw new Error('the first event carries no input');
  const [plain] = await codec.decode([payload as Payload]);
  return defaultPayloadConverter.fromPayload<SyncInput>(plain!);
}

async function resultOf(client: Client, runs: RunRef[], syncId: string): Promise<unknown> {
  for (const r of runs.filter((x) => x.status === 'COMPLETED')) {
    const v = (await client.workflow.getHandle(r.workflowId, r.runId).result()) as {
      syncId?: string;
    };
    if (v.syncId === syncId) return v;
  }
  return null;
}

/**
 * What `patched('bulk-preparation-alongside-pages')` writes (src/workflows/okta-sync.ts): its
 * marker's data and the TemporalChangeVersion search attribute's value, as Temporal documents
 * them — the patch id, never data of a sync.
 */
const PATCH_ID = 'bulk-preparation-alongside-pages';
const PATCH_RECORDS: unknown[] = [{ id: PATCH_ID, deprecated: false }, [PATCH_ID]];

/** The history without `patched()`'s records, and those records' payloads. */
function withoutPatchRecords(h: History): { events: unknown[]; patchRecords: Payload[] } {
  const patchRecords: Payload[] = [];
  const events = (h.events ?? []).filter((e) => {
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName === 'core_patch') {
      patchRecords.push(...payloadsIn(marker.details));
      return false;
    }
    const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
    if (fields && Object.keys(fields).every((k) => k === 'TemporalChangeVersion')) {
      patchRecords.push(...payloadsIn(fields));
      return false;
    }
    return true;
  });
  return { events, patchRecords };
}
