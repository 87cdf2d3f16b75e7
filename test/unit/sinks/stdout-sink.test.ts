import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import type { UserInventoryInfo } from '../../../src/ocsf/types';
import { SinkRejectedError } from '../../../src/sinks/sink';
import { StdoutSink } from '../../../src/sinks/stdout-sink';

const OCSF_FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'ocsf');
const EVENTS = readdirSync(OCSF_FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(path.join(OCSF_FIXTURES, f), 'utf8')) as UserInventoryInfo);

function collector(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('StdoutSink', () => {
  test('writes NDJSON, one event per line, page after page', async () => {
    const out = collector();
    const sink = new StdoutSink(out.stream);
    const r1 = await sink.deliver({ syncId: 's', partId: 'p1', events: EVENTS.slice(0, 5) });
    const r2 = await sink.deliver({ syncId: 's', partId: 'p2', events: EVENTS.slice(5) });
    expect(r1).toEqual({ delivered: 5, location: 'stdout' });
    expect(r2.delivered).toBe(EVENTS.length - 5);
    const text = out.text();
    expect(text.endsWith('\n')).toBe(true);
    expect(
      text
        .slice(0, -1)
        .split('\n')
        .map((l) => JSON.parse(l) as UserInventoryInfo),
    ).toEqual(EVENTS);
    await sink.close();
  });

  test('an empty page writes nothing', async () => {
    const out = collector();
    const sink = new StdoutSink(out.stream);
    expect(await sink.deliver({ syncId: 's', partId: 'p', events: [] })).toEqual({
      delivered: 0,
      location: 'stdout',
    });
    expect(out.text()).toBe('');
  });

  test('a broken stream (reader gone) is a rejection, not a process crash', async () => {
    const broken = new Writable({
      write(_chunk, _enc, cb) {
        cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const sink = new StdoutSink(broken);
    const err = await sink
      .deliver({ syncId: 's', partId: 'p', events: EVENTS.slice(0, 1) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SinkRejectedError);
    expect((err as Error).message).toContain('EPIPE');
    // The stream stays broken: later deliveries fail the same way instead of hanging.
    await expect(
      sink.deliver({ syncId: 's', partId: 'p2', events: EVENTS.slice(0, 1) }),
    ).rejects.toThrow(SinkRejectedError);
    await sink.close();
  });

  test('close() leaves the stream open and removes the sink’s error listener', async () => {
    const out = collector();
    const before = out.stream.listenerCount('error');
    const sink = new StdoutSink(out.stream);
    expect(out.stream.listenerCount('error')).toBe(before + 1);
    await sink.close();
    await sink.close();
    expect(out.stream.listenerCount('error')).toBe(before);
    expect(out.stream.writable).toBe(true);
    await expect(sink.deliver({ syncId: 's', partId: 'p', events: [] })).rejects.toThrow(
      'after close()',
    );
  });
});
