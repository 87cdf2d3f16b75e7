/**
 * Group roles (the group half of rule U8) are fetched once per group and sync, however many pages
 * ask at the same time, and staging is read only when neither memory nor a fetch in flight has
 * them.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GroupRolesCache } from '../../../src/activities/group-roles-cache';
import type { OktaRole } from '../../../src/okta/types';
import { StagingStore } from '../../../src/sync/staging';

const ORG = 'https://example.okta.com';
const SYNC = '20260101T000000Z-full-00000000';
const GROUP = '00g00000000000000001';
const ROLES = [{ id: 'ra1', type: 'USER_ADMIN', status: 'ACTIVE' }] as OktaRole[];

let root: string;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'grc-'));
});
afterEach(async () => fs.rm(root, { recursive: true, force: true }));

test('concurrent pages share one fetch and one staging read; later asks read neither', async () => {
  const staging = new StagingStore(root);
  const reads = jest.spyOn(staging, 'readGroupRoles');
  const cache = new GroupRolesCache(staging);
  let fetches = 0;
  const fetch = async (): Promise<OktaRole[]> => {
    fetches += 1;
    await new Promise((r) => setTimeout(r, 20));
    return ROLES;
  };
  const answers = await Promise.all(
    Array.from({ length: 5 }, () => cache.resolve(ORG, SYNC, GROUP, fetch)),
  );
  expect(fetches).toBe(1);
  expect(reads).toHaveBeenCalledTimes(1);
  expect(answers.filter((a) => a.fetched)).toHaveLength(1);
  for (const a of answers) expect(a.roles).toEqual(ROLES);

  const again = await cache.resolve(ORG, SYNC, GROUP, fetch);
  expect(again).toEqual({ roles: ROLES, fetched: false });
  expect(fetches).toBe(1);
  expect(reads).toHaveBeenCalledTimes(1);
});

test('a restarted worker (empty memory) takes the roles from staging, without fetching', async () => {
  const staging = new StagingStore(root);
  await new GroupRolesCache(staging).resolve(ORG, SYNC, GROUP, async () => ROLES);
  const fetch = jest.fn(async (): Promise<OktaRole[]> => []);
  const restarted = new GroupRolesCache(new StagingStore(root));
  expect(await restarted.resolve(ORG, SYNC, GROUP, fetch)).toEqual({
    roles: ROLES,
    fetched: false,
  });
  expect(fetch).not.toHaveBeenCalled();
});
