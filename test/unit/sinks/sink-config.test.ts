import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { inspect } from 'node:util';
import { FileSink } from '../../../src/sinks/file-sink';
import { SekoiaSink } from '../../../src/sinks/sekoia-sink';
import { createSink, parseSinkConfig, type SinkConfig } from '../../../src/sinks/sink-config';
import { StdoutSink } from '../../../src/sinks/stdout-sink';

const KEY = 'sk-LIVE-0123456789abcdef0123456789abcdef';
const UUID = '04716e25-c97f-4a22-925e-8b636ad9c8a4';
const SEKOIA_ENV = { OCSF_SINK: 'sekoia', SEKOIA_API_KEY: KEY, SEKOIA_CONNECTOR_UUID: UUID };

function ok(env: NodeJS.ProcessEnv): SinkConfig {
  const r = parseSinkConfig(env);
  if (!r.ok) throw new Error(`expected a valid config, got: ${r.errors.join('; ')}`);
  return r.config;
}

function errors(env: NodeJS.ProcessEnv): string[] {
  const r = parseSinkConfig(env);
  if (r.ok) throw new Error(`expected errors, got ${JSON.stringify(r.config)}`);
  return r.errors;
}

describe('parseSinkConfig: OCSF_SINK', () => {
  test.each([
    [{}, path.resolve('./out')],
    [{ OCSF_SINK: '' }, path.resolve('./out')],
    [{ OCSF_SINK: 'file' }, path.resolve('./out')],
    [{ OCSF_SINK: 'file:/var/lib/okta-ocsf/events' }, '/var/lib/okta-ocsf/events'],
    [{ OCSF_SINK: 'file:relative/dir' }, path.resolve('relative/dir')],
    [{ OCSF_SINK: ' file:/a:b ' }, '/a:b'],
  ])('%p → file sink in %p', (env, dir) => {
    expect(ok(env)).toEqual({ kind: 'file', settings: { dir }, description: `file ${dir}` });
  });

  test('stdout', () => {
    expect(ok({ OCSF_SINK: 'stdout' })).toEqual({
      kind: 'stdout',
      settings: {},
      description: 'stdout',
    });
  });

  test.each([
    [{ OCSF_SINK: 'file:' }, /^OCSF_SINK: expected file:<dir>/],
    [{ OCSF_SINK: 'file:   ' }, /^OCSF_SINK: expected file:<dir>/],
    [{ OCSF_SINK: 'stdout:x' }, /^OCSF_SINK: expected "stdout"/],
    [
      { OCSF_SINK: 'sekoia:x', SEKOIA_API_KEY: KEY, SEKOIA_CONNECTOR_UUID: UUID },
      /^OCSF_SINK: expected "sekoia"/,
    ],
    [
      { OCSF_SINK: 'kafka:topic' },
      /^OCSF_SINK: expected one of file:<dir>, stdout, sekoia; got "kafka:topic"$/,
    ],
    [{ OCSF_SINK: 'FILE:/x' }, /^OCSF_SINK: expected one of/],
  ])('%p is refused, naming OCSF_SINK and what was expected', (env, message) => {
    const errs = errors(env);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(message);
  });
});

describe('parseSinkConfig: sekoia', () => {
  test('defaults: https://api.sekoia.io, batches of 100', () => {
    const config = ok(SEKOIA_ENV);
    expect(config.kind).toBe('sekoia');
    if (config.kind !== 'sekoia') return;
    expect(config.settings.baseUrl).toBe('https://api.sekoia.io');
    expect(config.settings.batchSize).toBe(100);
    expect(config.settings.connectorUuid).toBe(UUID);
    expect(config.settings.apiKey.reveal()).toBe(KEY);
    expect(config.description).toBe(
      `sekoia https://api.sekoia.io connector ${UUID} (batches of 100)`,
    );
  });

  test.each([
    ['https://eu.sekoia.example/', 'https://eu.sekoia.example'],
    ['https://gw.example.com/sekoia/', 'https://gw.example.com/sekoia'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://localhost:9000/', 'http://localhost:9000'],
    ['http://[::1]:9000', 'http://[::1]:9000'],
  ])('SEKOIA_BASE_URL %p → %p', (SEKOIA_BASE_URL, baseUrl) => {
    const config = ok({ ...SEKOIA_ENV, SEKOIA_BASE_URL });
    expect(config.kind === 'sekoia' && config.settings.baseUrl).toBe(baseUrl);
  });

  test.each([
    ['1', 1],
    ['250', 250],
    ['1000', 1000],
    [' 42 ', 42],
  ])('SEKOIA_BATCH_SIZE %p → %p', (SEKOIA_BATCH_SIZE, n) => {
    const config = ok({ ...SEKOIA_ENV, SEKOIA_BATCH_SIZE });
    expect(config.kind === 'sekoia' && config.settings.batchSize).toBe(n);
  });

  test('every missing variable is reported at once, each by name', () => {
    const errs = errors({ OCSF_SINK: 'sekoia' });
    expect(errs).toHaveLength(2);
    expect(errs[0]).toMatch(/^SEKOIA_API_KEY: required with OCSF_SINK=sekoia/);
    expect(errs[1]).toMatch(/^SEKOIA_CONNECTOR_UUID: required with OCSF_SINK=sekoia/);
  });

  test.each([
    [{ SEKOIA_CONNECTOR_UUID: 'not-a-uuid' }, /^SEKOIA_CONNECTOR_UUID: expected a UUID/],
    [{ SEKOIA_API_KEY: 'two words' }, /^SEKOIA_API_KEY: expected printable ASCII/],
    [
      { SEKOIA_BASE_URL: 'http://api.sekoia.io' },
      /^SEKOIA_BASE_URL: expected an https URL.*plain http is allowed only for a loopback host/,
    ],
    [{ SEKOIA_BASE_URL: 'http://10.0.0.5:8080' }, /^SEKOIA_BASE_URL: .*loopback/],
    [{ SEKOIA_BASE_URL: 'ftp://api.sekoia.io' }, /^SEKOIA_BASE_URL: .*unsupported scheme "ftp:"/],
    [{ SEKOIA_BASE_URL: 'api.sekoia.io' }, /^SEKOIA_BASE_URL: .*not a URL/],
    [{ SEKOIA_BASE_URL: 'https://api.sekoia.io/?x=1' }, /^SEKOIA_BASE_URL: .*query or fragment/],
    [
      { SEKOIA_BATCH_SIZE: '0' },
      /^SEKOIA_BATCH_SIZE: expected an integer from 1 to 1000 \(events per request\), got 0$/,
    ],
    [{ SEKOIA_BATCH_SIZE: '1001' }, /^SEKOIA_BATCH_SIZE: expected an integer from 1 to 1000/],
    [{ SEKOIA_BATCH_SIZE: '1.5' }, /^SEKOIA_BATCH_SIZE: expected an integer from 1 to 1000/],
    [{ SEKOIA_BATCH_SIZE: '-5' }, /^SEKOIA_BATCH_SIZE: expected an integer from 1 to 1000/],
    [
      { SEKOIA_BATCH_SIZE: 'many' },
      /^SEKOIA_BATCH_SIZE: expected an integer .*got a non-numeric value$/,
    ],
  ])('%p is refused with a message naming the variable', (overrides, message) => {
    const errs = errors({ ...SEKOIA_ENV, ...overrides });
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(message);
  });

  test('no error ever repeats a secret, even one pasted into the wrong variable', () => {
    const all = [
      ...errors({ ...SEKOIA_ENV, SEKOIA_CONNECTOR_UUID: KEY }),
      ...errors({ ...SEKOIA_ENV, SEKOIA_BASE_URL: `https://user:${KEY}@api.sekoia.io` }),
      ...errors({ ...SEKOIA_ENV, SEKOIA_API_KEY: `${KEY} trailing-garbage` }),
      ...errors({ ...SEKOIA_ENV, SEKOIA_BATCH_SIZE: KEY }),
    ];
    expect(all).toHaveLength(4);
    expect(all[1]).toContain('must not contain credentials');
    for (const e of all) expect(e).not.toContain(KEY.slice(0, 20));
  });

  test('the parsed config never shows the key when logged or serialised', () => {
    const config = ok(SEKOIA_ENV);
    expect(JSON.stringify(config)).not.toContain(KEY);
    expect(inspect(config, { depth: 10 })).not.toContain(KEY);
    expect(`${JSON.stringify(config)} ${config.description}`).toContain('[redacted]');
    expect(config.description).not.toContain(KEY);
  });
});

describe('createSink', () => {
  test('builds the sink the config names', async () => {
    const file = createSink(ok({ OCSF_SINK: 'file:/tmp/okta-ocsf-never-written' }));
    const stdout = createSink(ok({ OCSF_SINK: 'stdout' }), { stdout: new PassThrough() });
    const sekoia = createSink(ok(SEKOIA_ENV));
    expect(file).toBeInstanceOf(FileSink);
    expect(file.kind).toBe('file');
    expect((file as FileSink).dir).toBe('/tmp/okta-ocsf-never-written');
    expect(stdout).toBeInstanceOf(StdoutSink);
    expect(sekoia).toBeInstanceOf(SekoiaSink);
    expect((sekoia as SekoiaSink).url).toBe(
      `https://api.sekoia.io/api/v2/asset-management/asset-connector/${UUID}`,
    );
    await Promise.all([file.close(), stdout.close(), sekoia.close()]);
  });

  test('the stdout sink writes to the injected stream', async () => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    const sink = createSink(ok({ OCSF_SINK: 'stdout' }), { stdout: stream });
    const event = { class_uid: 5003 } as never;
    await sink.deliver({ syncId: 's', partId: 'p', events: [event] });
    expect(Buffer.concat(chunks).toString()).toBe('{"class_uid":5003}\n');
    await sink.close();
  });
});
