import { spawn } from 'node:child_process';
import { promises as fs, readFileSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { UserInventoryInfo } from '../../../src/ocsf/types';
import { FileSink } from '../../../src/sinks/file-sink';
import { SinkRejectedError } from '../../../src/sinks/sink';

const OCSF_FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'ocsf');
const EVENTS = readdirSync(OCSF_FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(path.join(OCSF_FIXTURES, f), 'utf8')) as UserInventoryInfo);
const PAGE_A = EVENTS.slice(0, 8);
const PAGE_B = EVENTS.slice(8);
const SYNC = 'sync-2026-01-01T000000Z';
const PART = 'run-000001-page-000001';

let root: string;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'okta-ocsf-file-sink-'));
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** Every `.ndjson` file under `dir`, parsed line by line; throws on any partial line. */
async function readParts(dir: string): Promise<Map<string, UserInventoryInfo[]>> {
  const parts = new Map<string, UserInventoryInfo[]>();
  for (const entry of await fs.readdir(dir, { recursive: true })) {
    if (!entry.endsWith('.ndjson')) continue;
    const text = await fs.readFile(path.join(dir, entry), 'utf8');
    if (text !== '') expect(text.endsWith('\n')).toBe(true);
    const lines = text === '' ? [] : text.slice(0, -1).split('\n');
    parts.set(
      entry,
      lines.map((l) => JSON.parse(l) as UserInventoryInfo),
    );
  }
  return parts;
}

describe('FileSink', () => {
  test('writes one event per line to <dir>/<syncId>/<partId>.ndjson', async () => {
    const sink = new FileSink({ dir: root });
    const result = await sink.deliver({ syncId: SYNC, partId: PART, events: PAGE_A });
    const expectedPath = path.join(root, SYNC, `${PART}.ndjson`);
    expect(result).toEqual({ delivered: PAGE_A.length, location: expectedPath });
    const text = await fs.readFile(expectedPath, 'utf8');
    expect(text.split('\n')).toHaveLength(PAGE_A.length + 1); // each line ends in \n
    expect(await readParts(root)).toEqual(new Map([[path.join(SYNC, `${PART}.ndjson`), PAGE_A]]));
    await sink.close();
  });

  test('non-ASCII survives the round trip', async () => {
    const sink = new FileSink({ dir: root });
    const jurgen = EVENTS.find((e) => e.user.domain === 'bücher.example');
    expect(jurgen).toBeDefined();
    await sink.deliver({ syncId: SYNC, partId: PART, events: [jurgen as UserInventoryInfo] });
    const [events] = [...(await readParts(root)).values()];
    expect(events?.[0]?.user.full_name).toBe('Jürgen Müller-Lüdenscheidt');
  });

  test('delivering the same page twice leaves one copy, with the latest content', async () => {
    const sink = new FileSink({ dir: root });
    await sink.deliver({ syncId: SYNC, partId: PART, events: PAGE_A });
    await sink.deliver({ syncId: SYNC, partId: PART, events: PAGE_A });
    expect(await readParts(root)).toEqual(new Map([[path.join(SYNC, `${PART}.ndjson`), PAGE_A]]));
    // A retry may carry a re-read page: it replaces, never appends.
    await sink.deliver({ syncId: SYNC, partId: PART, events: PAGE_B });
    expect(await readParts(root)).toEqual(new Map([[path.join(SYNC, `${PART}.ndjson`), PAGE_B]]));
    expect(await fs.readdir(path.join(root, SYNC))).toEqual([`${PART}.ndjson`]);
  });

  test('concurrent deliveries of the same page still leave one complete copy', async () => {
    const sink = new FileSink({ dir: root });
    await Promise.all([
      sink.deliver({ syncId: SYNC, partId: PART, events: PAGE_A }),
      sink.deliver({ syncId: SYNC, partId: PART, events: PAGE_B }),
    ]);
    const parts = await readParts(root);
    expect(parts.size).toBe(1);
    expect([PAGE_A, PAGE_B]).toContainEqual(parts.get(path.join(SYNC, `${PART}.ndjson`)));
  });

  test('pages and syncs go to separate files; an empty page gives an empty file', async () => {
    const sink = new FileSink({ dir: root });
    await sink.deliver({ syncId: SYNC, partId: 'run-000001-page-000001', events: PAGE_A });
    await sink.deliver({ syncId: SYNC, partId: 'run-000001-page-000002', events: [] });
    await sink.deliver({ syncId: 'other-sync', partId: 'run-000001-page-000001', events: PAGE_B });
    expect(await readParts(root)).toEqual(
      new Map([
        [path.join('other-sync', 'run-000001-page-000001.ndjson'), PAGE_B],
        [path.join(SYNC, 'run-000001-page-000001.ndjson'), PAGE_A],
        [path.join(SYNC, 'run-000001-page-000002.ndjson'), []],
      ]),
    );
  });

  test('a failure between the flushed write and the rename leaves no partial .ndjson', async () => {
    const seenAtFailure: { tmp: string; finalExists: boolean; tmpContent: string }[] = [];
    const failing = new FileSink(
      { dir: root },
      {
        beforeRename: async (tmpPath, finalPath) => {
          seenAtFailure.push({
            tmp: tmpPath,
            finalExists: await fs.stat(finalPath).then(
              () => true,
              () => false,
            ),
            tmpContent: await fs.readFile(tmpPath, 'utf8'),
          });
          throw new Error('injected crash before rename');
        },
      },
    );
    await expect(failing.deliver({ syncId: SYNC, partId: PART, events: PAGE_A })).rejects.toThrow(
      'injected crash before rename',
    );
    // At the instant of the failure the whole page was in a temporary file that is not *.ndjson.
    expect(seenAtFailure).toHaveLength(1);
    expect(seenAtFailure[0]?.tmp.endsWith('.ndjson')).toBe(false);
    expect(path.dirname(seenAtFailure[0]?.tmp ?? '')).toBe(path.join(root, SYNC));
    expect(seenAtFailure[0]?.finalExists).toBe(false);
    expect(seenAtFailure[0]?.tmpContent.split('\n')).toHaveLength(PAGE_A.length + 1);
    // Afterwards: no .ndjson at all, and the temporary file was removed.
    expect(await readParts(root)).toEqual(new Map());
    expect(await fs.readdir(path.join(root, SYNC))).toEqual([]);

    // A previous complete copy is untouched by a failed redelivery.
    await new FileSink({ dir: root }).deliver({ syncId: SYNC, partId: PART, events: PAGE_A });
    await expect(failing.deliver({ syncId: SYNC, partId: PART, events: PAGE_B })).rejects.toThrow();
    expect(await readParts(root)).toEqual(new Map([[path.join(SYNC, `${PART}.ndjson`), PAGE_A]]));
  });

  test('a process killed between the flushed write and the rename leaves no partial line', async () => {
    const eventsFile = path.join(root, 'events.json');
    await fs.writeFile(eventsFile, JSON.stringify(PAGE_B));
    const out = path.join(root, 'out');
    // An earlier complete delivery of the same page, which the crash must not damage.
    await new FileSink({ dir: out }).deliver({ syncId: SYNC, partId: PART, events: PAGE_A });

    const child = spawn(
      process.execPath,
      [path.join(__dirname, 'support', 'crash-during-delivery.js'), out, SYNC, PART, eventsFile],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
      (resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error('child did not exit within 15 s'));
        }, 15_000);
        child.on('exit', (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal });
        });
      },
    );
    expect({ ...exit, stderr }).toEqual({ code: null, signal: 'SIGKILL', stderr: '' });

    // The crash happened after the whole page was written: the leftover temp file holds it...
    const leftovers = (await fs.readdir(path.join(out, SYNC))).filter(
      (f) => !f.endsWith('.ndjson'),
    );
    expect(leftovers).toHaveLength(1);
    expect(leftovers[0]).toMatch(/^\..*\.tmp$/);
    const leftover = await fs.readFile(path.join(out, SYNC, leftovers[0] as string), 'utf8');
    expect(leftover.split('\n')).toHaveLength(PAGE_B.length + 1);
    // ...and every .ndjson file is the earlier complete delivery, line for line.
    expect(await readParts(out)).toEqual(new Map([[path.join(SYNC, `${PART}.ndjson`), PAGE_A]]));

    // The next delivery of that page succeeds despite the leftover.
    await new FileSink({ dir: out }).deliver({ syncId: SYNC, partId: PART, events: PAGE_B });
    expect(await readParts(out)).toEqual(new Map([[path.join(SYNC, `${PART}.ndjson`), PAGE_B]]));
  }, 20_000);

  test.each([
    ['syncId', '../escape'],
    ['syncId', ''],
    ['partId', 'a/b'],
    ['partId', '.hidden'],
    ['partId', 'x'.repeat(201)],
  ])('an unsafe %s %p is rejected before touching the disk', async (field, value) => {
    const sink = new FileSink({ dir: root });
    const d = { syncId: SYNC, partId: PART, events: PAGE_A, [field]: value };
    await expect(sink.deliver(d)).rejects.toThrow(SinkRejectedError);
    await expect(sink.deliver(d)).rejects.toThrow(field);
    expect(await fs.readdir(root)).toEqual([]);
  });

  test('a directory that cannot be created is a rejection naming the path', async () => {
    const blocker = path.join(root, 'not-a-dir');
    await fs.writeFile(blocker, 'x');
    const sink = new FileSink({ dir: blocker });
    const err = await sink
      .deliver({ syncId: SYNC, partId: PART, events: PAGE_A })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SinkRejectedError);
    expect((err as Error).message).toContain(path.join(blocker, SYNC, `${PART}.ndjson`));
    expect((err as Error).message).toMatch(/ENOTDIR|EEXIST/);
  });

  test('delivery after close() fails', async () => {
    const sink = new FileSink({ dir: root });
    await sink.close();
    await expect(sink.deliver({ syncId: SYNC, partId: PART, events: PAGE_A })).rejects.toThrow(
      'after close()',
    );
  });
});
