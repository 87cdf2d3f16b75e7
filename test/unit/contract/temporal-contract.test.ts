/**
 * Issue 15, "One contract module": the names that cross Temporal are written once, in
 * src/contract/temporal-contract.ts (and error types in src/contract/error-table.ts). This test
 * reads every source and test file and fails on a quoted workflow type, query, signal or error
 * type name anywhere else, so a second spelling cannot creep back in.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import {
  COORDINATOR_WORKFLOW_TYPE,
  coordinatorStateQuery,
  ERROR_TABLE,
  progressQuery,
  readSyncMemo,
  requestAnswerSignal,
  requestSyncSignal,
  SYNC_WORKFLOW_TYPE,
  syncListQuery,
  syncWorkflowId,
} from '../../../src/contract';

const REPO = path.resolve(__dirname, '..', '..', '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

// Names whose quoted spelling is reserved to the contract. 'state' is left out: it is also an
// ordinary word (a folder name, an HTML attribute); its query is covered by the definition test.
const RESERVED = [
  SYNC_WORKFLOW_TYPE,
  COORDINATOR_WORKFLOW_TYPE,
  progressQuery.name,
  requestSyncSignal.name,
  requestAnswerSignal.name,
  ...Object.keys(ERROR_TABLE),
];

describe('temporal contract', () => {
  test('no quoted workflow, query, signal or error type name outside src/contract', () => {
    const offenders: string[] = [];
    const files = [...tsFiles(path.join(REPO, 'src')), ...tsFiles(path.join(REPO, 'test'))];
    for (const file of files) {
      const rel = path.relative(REPO, file);
      if (rel.startsWith(path.join('src', 'contract'))) continue;
      // The contract's own tests spell the names out on purpose (an independent expectation).
      if (rel.startsWith(path.join('test', 'unit', 'contract'))) continue;
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        for (const name of RESERVED) {
          if (line.includes(`'${name}'`) || line.includes(`"${name}"`)) {
            offenders.push(`${rel}:${i + 1}: ${name}`);
          }
        }
      });
    }
    expect(offenders).toEqual([]);
  });

  test('queries and signals are definitions with the names the running workflows answer to', () => {
    // The names are part of every recorded history (test/fixtures/histories): renaming one
    // breaks running syncs, so a rename must be deliberate and change this test too.
    expect(progressQuery).toEqual({ type: 'query', name: 'progress' });
    expect(coordinatorStateQuery).toEqual({ type: 'query', name: 'state' });
    expect([requestSyncSignal, requestAnswerSignal].map((s) => `${s.type}:${s.name}`)).toEqual([
      'signal:requestSync',
      'signal:syncRequestAnswer',
    ]);
  });

  test('readSyncMemo types a listed memo and answers null for a missing or foreign field', () => {
    const totals = { users: 3 };
    expect(readSyncMemo({ watermark: '2026-01-01T00:00:00.000Z', totals })).toEqual({
      watermark: '2026-01-01T00:00:00.000Z',
      finishedAt: null,
      totals,
    });
    expect(readSyncMemo(undefined)).toEqual({ watermark: null, finishedAt: null, totals: null });
    expect(readSyncMemo({ watermark: 42, totals: 'x' })).toEqual({
      watermark: null,
      finishedAt: null,
      totals: null,
    });
  });

  test("sync list's visibility query selects the org's syncs by their id prefix", () => {
    const org = 'https://acme.okta.com';
    const q = syncListQuery(org);
    expect(q).toBe(
      `WorkflowType = 'oktaSync' AND WorkflowId STARTS_WITH 'okta-ocsf-sync-acme.okta.com-'`,
    );
    expect(syncWorkflowId(org, 'full').startsWith('okta-ocsf-sync-acme.okta.com-')).toBe(true);
    expect(syncListQuery()).toBe(`WorkflowType = 'oktaSync'`);
  });
});
