/**
 * `OCSF_SINK=file:<dir>`: NDJSON files, one per page, at `<dir>/<syncId>/<partId>.ndjson`.
 *
 * Each delivery is written to a temporary file beside its target, flushed to disk, then renamed
 * over the target. A rename within one directory is atomic, so a reader (or a crash) sees either
 * the previous complete file or the new complete file, never a partial line; delivering a page
 * twice leaves one copy. Temporary files are `.<partId>.<pid>.<random>.tmp`: they never match
 * `*.ndjson`, and a crash can leave one behind, which is safe to delete.
 *
 * Files and directories get the process's default permissions (umask): events carry names and
 * email addresses, so run the worker with a umask that suits who may read `<dir>`.
 */

import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { toNdjson } from './ndjson';
import {
  SinkRejectedError,
  SinkTransientError,
  type Delivery,
  type DeliveryResult,
  type EventSink,
  type SinkDefinition,
} from './sink';

export interface FileSinkSettings {
  /** Absolute. */
  dir: string;
}

export interface FileSinkOptions {
  /**
   * Called after the temporary file is written and flushed, before the rename: the one instant a
   * crash must not corrupt anything. For fault-injection tests; production leaves it unset.
   */
  beforeRename?: (tmpPath: string, finalPath: string) => void | Promise<void>;
}

export const DEFAULT_FILE_SINK_DIR = './out';

export class FileSink implements EventSink {
  readonly kind = 'file';
  readonly dir: string;
  private closed = false;

  constructor(
    settings: FileSinkSettings,
    private readonly options: FileSinkOptions = {},
  ) {
    this.dir = path.resolve(settings.dir);
  }

  async deliver(d: Delivery): Promise<DeliveryResult> {
    if (this.closed) throw new SinkTransientError('file sink: delivery after close()');
    checkPathSegment('syncId', d.syncId);
    checkPathSegment('partId', d.partId);
    const partDir = path.join(this.dir, d.syncId);
    const finalPath = path.join(partDir, `${d.partId}.ndjson`);
    const tmpPath = path.join(
      partDir,
      `.${d.partId}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
    );
    try {
      const created = await fs.mkdir(partDir, { recursive: true });
      await writeDurably(tmpPath, toNdjson(d.events));
      await this.options.beforeRename?.(tmpPath, finalPath);
      await fs.rename(tmpPath, finalPath);
      // The rename (and a new sync directory) is durable only once the directory entry is.
      await fsyncDirectory(partDir);
      if (created !== undefined) await fsyncDirectory(path.dirname(created));
    } catch (err) {
      await fs.rm(tmpPath, { force: true }).catch(() => undefined);
      throw toSinkError(err, finalPath);
    }
    return { delivered: d.events.length, location: finalPath };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

async function writeDurably(filePath: string, content: string): Promise<void> {
  // 'wx': the name is fresh; failing beats writing into a file someone else holds.
  const handle = await fs.open(filePath, 'wx');
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function fsyncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (err) {
    // Some platforms (Windows) and filesystems cannot open or fsync a directory; the rename
    // itself has happened, only its durability across a power cut is weaker there.
    if (!isErrno(err) || !['EISDIR', 'EPERM', 'EINVAL', 'EBADF', 'EACCES'].includes(err.code)) {
      throw err;
    }
  } finally {
    await handle?.close();
  }
}

// syncId and partId become path segments: anything else could escape `<dir>`.
const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

function checkPathSegment(field: 'syncId' | 'partId', value: unknown): void {
  if (typeof value !== 'string' || !SAFE_SEGMENT.test(value)) {
    throw new SinkRejectedError(
      `file sink: ${field} must be 1-200 characters of letters, digits, '.', '_' or '-', ` +
        `starting with a letter or digit; got ${JSON.stringify(value)}`,
    );
  }
}

// Conditions that can clear without anyone changing the configuration.
const TRANSIENT_CODES = new Set([
  'ENOSPC',
  'EDQUOT',
  'EIO',
  'EMFILE',
  'ENFILE',
  'EBUSY',
  'EAGAIN',
  'EINTR',
  'ETIMEDOUT',
  'ESTALE',
  'ENOENT', // the directory was removed between mkdir and rename (e.g. a cleanup job)
]);

function toSinkError(err: unknown, finalPath: string): unknown {
  // Not a filesystem failure (e.g. an injected fault): not ours to classify.
  if (!isErrno(err)) return err;
  const message = `file sink: cannot write ${finalPath}: ${err.code}: ${err.message}`;
  return TRANSIENT_CODES.has(err.code)
    ? new SinkTransientError(message)
    : new SinkRejectedError(message);
}

// Duck-typed, not `instanceof Error`: errors from Node's built-ins may come from another realm
// (jest's sandbox, a vm context) where that check is false.
function isErrno(err: unknown): err is NodeJS.ErrnoException & { code: string } {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { code?: unknown }).code === 'string' &&
    typeof (err as { message?: unknown }).message === 'string'
  );
}

export const fileSinkDefinition: SinkDefinition<'file', FileSinkSettings> = {
  kind: 'file',
  syntax: 'file:<dir>',
  parse(arg) {
    // `file` alone means the default directory; `file:` with nothing after it is a typo.
    if (arg === undefined)
      return { ok: true, settings: { dir: path.resolve(DEFAULT_FILE_SINK_DIR) } };
    if (arg.trim() === '' || arg.includes('\0')) {
      return {
        ok: false,
        errors: ['OCSF_SINK: expected file:<dir> with a directory path after "file:"'],
      };
    }
    return { ok: true, settings: { dir: path.resolve(arg) } };
  },
  describe: (s) => `file ${s.dir}`,
  create: (s) => new FileSink(s),
};
