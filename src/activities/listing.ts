/** The listing activity: one page of `GET /api/v1/users`, staged for the page's enrichments. */
import type { ListUsersPageInput, ListUsersPageResult } from '../sync/types';
import { toApplicationFailure } from './failures';
import { heartbeatingCall, type PagePipeline } from './page-pipeline';
import { USERS } from './staged-page';

export async function listUsersPage(
  p: PagePipeline,
  input: ListUsersPageInput,
): Promise<ListUsersPageResult> {
  const session = p.oktaSession();
  try {
    const page = await session.listUsersPage(
      { nextUrl: input.nextUrl, filter: input.filter },
      heartbeatingCall(),
    );
    await p.staging.writePage(input.orgUrl, input.syncId, input.page, USERS, page.users);
    p.metrics?.usersListed(input.syncId, page.users.length);
    return {
      ...session.counters(),
      users: page.users.length,
      nextUrl: page.nextUrl,
      serverDate: page.serverDate,
    };
  } catch (err) {
    throw toApplicationFailure(err);
  }
}
