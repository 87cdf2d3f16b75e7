/**
 * Where a sync keeps its user data between activities (the "claim check" pattern): a page of 200
 * users with hundreds of groups each would approach Temporal's 2 MB payload limit, and would be
 * copied into history once per activity that reads it. Activities write here and pass only page
 * numbers through Temporal.
 *
 * It is also what makes retries cheap: an enrichment activity that fails half-way has saved what
 * it fetched, and its retry fetches only the rest.
 *
 * Layout: `<root>/<orgKey>/<syncId>/page-000001/<name>.json` and
 * `<root>/<orgKey>/<syncId>/group-roles/<groupId>.json`. Every write is atomic (temporary file,
 * then rename) so a worker killed mid-write leaves the previous version or nothing.
 *
 * Each worker has its own folder, and what is here is a cache of that worker, never a source of
 * truth: a page's activities run on the worker that staged it (workflows/page-placement.ts), and
 * a page whose worker is gone is redone from history on another (README "Workers share no disk").
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { readJsonFile, writeFileAtomic } from './json-files';
import { orgKey, pagePartId } from './naming';
import { ErrorType } from '../contract/error-table';

export class StagingMissingError extends Error {
  override readonly name = ErrorType.StagingMissingError;
}

/** A staged file that does not parse (truncated, overwritten): retrying cannot fix it. */
export class StagingCorruptError extends Error {
  override readonly name = ErrorType.StagingCorruptError;
}

/** An id (from Okta's answer, or a sync id) that is no safe file name: never used as a path. */
export class StagingUnsafeIdError extends Error {
  override readonly name = ErrorType.StagingUnsafeIdError;
}

export class StagingStore {
  constructor(readonly root: string) {}

  private syncDir(orgUrl: string, syncId: string): string {
    if (!/^[A-Za-z0-9._-]+$/.test(syncId))
      throw new StagingUnsafeIdError(`invalid sync id: ${syncId}`);
    return path.join(this.root, orgKey(orgUrl), syncId);
  }

  private pageFile(orgUrl: string, syncId: string, page: number, name: string): string {
    return path.join(this.syncDir(orgUrl, syncId), pagePartId(page), `${name}.json`);
  }

  private groupRolesFile(orgUrl: string, syncId: string, groupId: string): string {
    // Okta ids are alphanumeric; anything else is refused rather than used as a path.
    if (!/^[A-Za-z0-9_-]+$/.test(groupId))
      throw new StagingUnsafeIdError(`invalid group id: ${groupId}`);
    return path.join(this.syncDir(orgUrl, syncId), 'group-roles', `${groupId}.json`);
  }

  async writePage<T>(orgUrl: string, syncId: string, page: number, name: string, data: T) {
    await writeFileAtomic(this.pageFile(orgUrl, syncId, page, name), JSON.stringify(data));
  }

  /** Reads a page's data; `undefined` when it was never written. */
  async readPage<T>(
    orgUrl: string,
    syncId: string,
    page: number,
    name: string,
  ): Promise<T | undefined> {
    return readStaged<T>(this.pageFile(orgUrl, syncId, page, name));
  }

  /** Like `readPage`, but the data must be there (written by an earlier activity of the page). */
  async requirePage<T>(orgUrl: string, syncId: string, page: number, name: string): Promise<T> {
    const data = await this.readPage<T>(orgUrl, syncId, page, name);
    if (data === undefined) {
      throw new StagingMissingError(
        `staged ${name} of ${pagePartId(page)} of sync ${syncId} is missing from ${this.root}: ` +
          'this worker did not stage it (the page is redone on a worker that does)',
      );
    }
    return data;
  }

  async writeGroupRoles<T>(orgUrl: string, syncId: string, groupId: string, data: T) {
    await writeFileAtomic(this.groupRolesFile(orgUrl, syncId, groupId), JSON.stringify(data));
  }

  async readGroupRoles<T>(orgUrl: string, syncId: string, groupId: string) {
    return readStaged<T>(this.groupRolesFile(orgUrl, syncId, groupId));
  }

  /** Drops everything a sync staged; called when it ends. */
  async removeSync(orgUrl: string, syncId: string): Promise<void> {
    await fs.rm(this.syncDir(orgUrl, syncId), { recursive: true, force: true });
  }
}

function readStaged<T>(file: string): Promise<T | undefined> {
  return readJsonFile<T>(
    file,
    (reason) => new StagingCorruptError(`staged file ${file} is corrupt: ${reason}`),
  );
}
