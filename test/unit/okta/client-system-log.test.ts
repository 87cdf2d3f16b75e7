/**
 * Issue 12: the client's System Log, user-by-id and group-members reads against the simulator
 * over real HTTP: the query Okta documents (since, until, filter, limit 1000, ASCENDING), paging
 * to an empty page, the log's own bucket, a 404 for a deleted user.
 */
import { OktaClient } from '../../../src/okta/client';
import { OktaNotFoundError } from '../../../src/okta/errors';
import { RateLimiter } from '../../../src/okta/rate-limiter';
import { eventTypeFilter, namedBy } from '../../../src/okta/system-log';
import { OktaSimulator } from '../../../src/simulator';
import { ErrorType } from '../../../src/contract/error-table';

jest.setTimeout(30_000);

describe('OktaClient: System Log, user by id, group members', () => {
  let sim: OktaSimulator;
  let client: OktaClient;
  beforeEach(async () => {
    sim = await OktaSimulator.start({ token: 'sl-token', users: 80, groups: 8, seed: 3 });
    client = new OktaClient({
      orgUrl: sim.url,
      token: 'sl-token',
      limiter: new RateLimiter({ share: 1 }),
    });
  });
  afterEach(() => sim.close());

  test('reads every matching event once, in order, until a page comes back empty or unlinked', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const ids = sim.tenant.listUsers().map((u) => u.id);
    for (const id of ids.slice(0, 5)) {
      sim.tenant.change({ op: 'grantRole', userId: id, roleType: 'READ_ONLY_ADMIN' });
    }
    const until = new Date(Date.now() + 1000).toISOString();
    const named: string[] = [];
    let next: string | null = null;
    let pages = 0;
    do {
      const page = await client.listSystemLogPage({
        nextUrl: next,
        since,
        until,
        filter: eventTypeFilter(),
      });
      pages++;
      for (const e of page.events) named.push(...namedBy(e).userIds);
      next = page.nextUrl;
    } while (next !== null && pages < 10);
    expect(named).toEqual(ids.slice(0, 5));
    const stats = sim.stats();
    expect(stats.byBucket['system-log']?.requests).toBe(pages);
    expect(client.metrics().byBucket['system-log']?.requests).toBe(pages);
  });

  test('a user by id; a deleted one is OktaNotFoundError; a group’s members', async () => {
    const [a, b] = sim.tenant.listUsers().map((u) => u.id);
    expect((await client.getUser(a)).id).toBe(a);
    sim.tenant.change({ op: 'delete', userId: b });
    await expect(client.getUser(b)).rejects.toBeInstanceOf(OktaNotFoundError);
    const everyone = sim.tenant.userGroups(a)[0].id;
    const members = (await client.listGroupMembers(everyone)).map((u) => u.id);
    expect(members.sort()).toEqual(sim.tenant.groupMemberIds(everyone).sort());
    expect(members).not.toContain(b);
  });

  test('a refused log is an OktaAuthError with Okta’s 403 reason', async () => {
    sim.setSystemLogDenied('You do not have permission to perform the requested action');
    const now = new Date().toISOString();
    await expect(
      client.listSystemLogPage({ since: now, until: now, filter: eventTypeFilter() }),
    ).rejects.toMatchObject({
      name: ErrorType.OktaAuthError,
      status: 403,
      errorCode: 'E0000006',
    });
  });
});
