/**
 * The membership index and role assignees of the sync in progress, opened once per worker
 * process (the page pipeline holds one) for every page that reads them; reopened when another
 * sync asks. A missing one is not kept: it may be complete the next time a page asks.
 */
import { MembershipIndexReader, MembershipIndexStore } from '../sync/membership-index';

export class IndexReaders {
  private index: { dir: string; reader: Promise<MembershipIndexReader | undefined> } | null = null;
  private assignees: { dir: string; ids: Promise<Set<string> | null | undefined> } | null = null;

  /** The index in `dir`; undefined while this worker has none (complete) for the sync. */
  readerFor(dir: string): Promise<MembershipIndexReader | undefined> {
    if (this.index?.dir !== dir) this.index = { dir, reader: MembershipIndexReader.open(dir) };
    const current = this.index;
    void current.reader.then((r) => {
      if (r === undefined && this.index === current) this.index = null;
    });
    return current.reader;
  }

  /** Ids holding role assignments; null when Okta refused the list, undefined when not read here. */
  assigneesFor(dir: string): Promise<Set<string> | null | undefined> {
    if (this.assignees?.dir !== dir) {
      const ids = new MembershipIndexStore(dir)
        .readAssignees()
        .then((a) => (a === undefined || a === null ? a : new Set(a)));
      const current = { dir, ids };
      this.assignees = current;
      void ids.then((a) => {
        if (a === undefined && this.assignees === current) this.assignees = null;
      });
    }
    return this.assignees.ids;
  }

  /** Forgets what was opened from `dir` (the index is being dropped). */
  close(dir: string): void {
    if (this.index?.dir === dir) this.index = null;
    if (this.assignees?.dir === dir) this.assignees = null;
  }
}
