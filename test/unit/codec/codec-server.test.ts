import { defaultPayloadConverter } from '@temporalio/common';
import {
  normalizeCorsOrigin,
  startCodecServer,
  type CodecServerOptions,
  type RunningCodecServer,
} from '../../../src/codec/codec-server';
import {
  ENCRYPTION_KEYS_ENV,
  generateKeyringEntry,
  parseKeyring,
} from '../../../src/codec/keyring';
import { call, type Reply } from './http';

const UI_ORIGIN = 'http://127.0.0.1:8233';
const email = 'élodie.dupré@exämple.fr';
const entry = generateKeyringEntry('k1');
const keyBase64 = entry.slice(3);
const keyHex = Buffer.from(keyBase64, 'base64').toString('hex');

const parsed = parseKeyring({ [ENCRYPTION_KEYS_ENV]: entry });
if (!parsed.ok || !parsed.keyring) throw new Error('test keyring did not parse');
const keyring = parsed.keyring;

const json = { 'Content-Type': 'application/json' };

interface JsonPayload {
  metadata: Record<string, string>;
  data: string;
}

function toJsonPayload(value: unknown): JsonPayload {
  const payload = defaultPayloadConverter.toPayload(value);
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(payload.metadata ?? {})) {
    metadata[k] = Buffer.from(v).toString('base64');
  }
  return { metadata, data: Buffer.from(payload.data ?? []).toString('base64') };
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString('utf8');

describe('codec server', () => {
  let server: RunningCodecServer | undefined;
  let logs: string[];
  const allLogs: string[] = [];
  const replies: string[] = [];

  async function start(extra: Partial<CodecServerOptions> = {}): Promise<string> {
    logs = [];
    server = await startCodecServer({
      port: 0,
      keyring,
      corsOrigins: [UI_ORIGIN],
      log: (line) => {
        logs.push(line);
        allLogs.push(line);
      },
      ...extra,
    });
    return server.url;
  }

  async function post(url: string, path: string, body: unknown, headers = {}): Promise<Reply> {
    const reply = await call(url, {
      path,
      headers: { ...json, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    replies.push(reply.text, JSON.stringify(reply.headers));
    return reply;
  }

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  afterAll(() => {
    // Nothing the server said or logged, in any test, carried key material or the clear-text email.
    const everything = [...replies, ...allLogs].join('\n');
    expect(allLogs.length).toBeGreaterThan(0);
    expect(everything).not.toContain(keyBase64.slice(0, 16));
    expect(everything).not.toContain(keyHex.slice(0, 16));
  });

  it('binds loopback by default and reports its URL', async () => {
    const url = await start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await call(url, { method: 'GET', path: '/healthz' });
    expect(health.status).toBe(200);
  });

  it('encodes then decodes payloads over HTTP in the codec-server JSON shape', async () => {
    const url = await start();
    const value = { email, name: 'Élodie Dupré' };
    const encodedReply = await post(url, '/encode', { payloads: [toJsonPayload(value)] });
    expect(encodedReply.status).toBe(200);
    expect(encodedReply.headers['content-type']).toMatch(/^application\/json/);
    const encoded = JSON.parse(encodedReply.text) as { payloads: JsonPayload[] };
    expect(encoded.payloads).toHaveLength(1);
    const [enc] = encoded.payloads;
    expect(unb64(enc?.metadata.encoding)).toBe('binary/encrypted');
    expect(unb64(enc?.metadata['encryption-key-id'])).toBe('k1');
    expect(Buffer.from(enc?.data ?? '', 'base64').includes(email)).toBe(false);
    expect(encodedReply.text).not.toContain(b64(email).slice(0, 12));

    const decodedReply = await post(url, '/decode', encoded);
    expect(decodedReply.status).toBe(200);
    const decoded = JSON.parse(decodedReply.text) as { payloads: JsonPayload[] };
    const [dec] = decoded.payloads;
    expect(Object.keys(dec ?? {}).sort()).toEqual(['data', 'metadata']);
    expect(unb64(dec?.metadata.encoding)).toBe('json/plain');
    expect(JSON.parse(unb64(dec?.data))).toEqual(value);
    expect(logs.some((l) => l.includes('POST /decode 200'))).toBe(true);
    expect(logs.join('\n')).not.toContain(email);
  });

  it('passes through payloads that are not encrypted and keeps empty data', async () => {
    const url = await start();
    const plain = toJsonPayload({ email });
    const nullPayload = { metadata: { encoding: b64('binary/null') } };
    const reply = await post(url, '/decode', { payloads: [plain, nullPayload] });
    expect(reply.status).toBe(200);
    const body = JSON.parse(reply.text) as { payloads: JsonPayload[] };
    expect(body.payloads[0]).toEqual(plain);
    expect(body.payloads[1]).toEqual({ metadata: nullPayload.metadata, data: '' });
  });

  it('serves the namespace-templated path of the CLI and ignores query parameters', async () => {
    const url = await start();
    const encoded = await post(url, '/default/encode?preserveStorageRefs=true', {
      payloads: [toJsonPayload(email)],
    });
    expect(encoded.status).toBe(200);
    const decoded = await post(url, '/default/decode', JSON.parse(encoded.text));
    expect(decoded.status).toBe(200);
    const body = JSON.parse(decoded.text) as { payloads: JsonPayload[] };
    expect(JSON.parse(unb64(body.payloads[0]?.data))).toBe(email);
    // What the Temporal CLI sends for an endpoint with a trailing slash or an empty {namespace}.
    expect((await post(url, '//decode', JSON.parse(encoded.text))).status).toBe(200);
  });

  it('answers the UI preflight for a configured origin with the headers the UI sends', async () => {
    const url = await start({ corsOrigins: [`${UI_ORIGIN}/`, 'http://localhost:8233'] });
    const reply = await call(url, {
      method: 'OPTIONS',
      headers: {
        Origin: UI_ORIGIN,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type,x-namespace,authorization',
        'Access-Control-Request-Private-Network': 'true',
      },
    });
    expect(reply.status).toBe(204);
    expect(reply.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
    expect(reply.headers['access-control-allow-credentials']).toBe('true');
    expect(reply.headers['access-control-allow-private-network']).toBe('true');
    expect(reply.headers['vary']).toContain('Origin');
    expect(String(reply.headers['access-control-allow-methods'])).toContain('POST');
    const allowed = String(reply.headers['access-control-allow-headers']).toLowerCase();
    for (const header of ['content-type', 'x-namespace', 'authorization']) {
      expect(allowed).toContain(header);
    }

    const post2 = await post(url, '/decode', { payloads: [] }, { Origin: 'http://localhost:8233' });
    expect(post2.status).toBe(200);
    expect(post2.headers['access-control-allow-origin']).toBe('http://localhost:8233');
  });

  it('refuses other origins, for preflight and for the request itself', async () => {
    const url = await start();
    const preflight = await call(url, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();

    const direct = await post(url, '/decode', { payloads: [] }, { Origin: 'https://evil.example' });
    expect(direct.status).toBe(403);
    expect(direct.headers['access-control-allow-origin']).toBeUndefined();
    expect(JSON.parse(direct.text).error).toContain('--cors-origin https://evil.example');
  });

  it('answers 400 naming what is wrong with the body, without echoing it', async () => {
    const url = await start();
    const cases: Array<[unknown, string]> = [
      [`{"payloads": [{"data": "${email}"`, 'request body is not valid JSON'],
      [[1, 2], 'request body must be a JSON object'],
      [{ payload: [] }, '"payloads" must be an array'],
      [{ payloads: ['x'] }, 'payloads[0] must be an object'],
      [
        { payloads: [toJsonPayload(1), { data: 'not base64!' }] },
        'payloads[1].data must be a base64',
      ],
      [
        { payloads: [{ metadata: { encoding: 7 }, data: '' }] },
        'payloads[0].metadata.encoding must be',
      ],
      [{ payloads: [{ metadata: 'json/plain' }] }, 'payloads[0].metadata must be an object'],
    ];
    for (const [body, message] of cases) {
      const reply = await post(url, '/decode', body);
      expect(reply.status).toBe(400);
      const error = (JSON.parse(reply.text) as { error: string }).error;
      expect(error).toContain(message);
      expect(error).not.toContain(email);
    }
  });

  it('answers 422 for a payload it cannot decrypt, naming the key id only', async () => {
    const url = await start();
    const other = parseKeyring({ [ENCRYPTION_KEYS_ENV]: generateKeyringEntry('k0') });
    if (!other.ok || !other.keyring) throw new Error('keyring');
    const foreign = await startCodecServer({ port: 0, keyring: other.keyring, corsOrigins: [] });
    let payload: unknown;
    try {
      const reply = await post(foreign.url, '/encode', { payloads: [toJsonPayload(email)] });
      payload = JSON.parse(reply.text);
    } finally {
      await foreign.close();
    }
    const reply = await post(url, '/decode', payload);
    expect(reply.status).toBe(422);
    expect(JSON.parse(reply.text).error).toContain('key id "k0"');
  });

  it('enforces method, content type, path and body size', async () => {
    const url = await start({ maxBodyBytes: 1024 });
    expect((await call(url, { method: 'GET', path: '/decode' })).status).toBe(405);
    expect((await call(url, { path: '/nope', headers: json, body: '{}' })).status).toBe(404);
    const textPlain = await call(url, {
      headers: { 'Content-Type': 'text/plain' },
      body: '{"payloads":[]}',
    });
    expect(textPlain.status).toBe(415);
    const big = JSON.stringify({ payloads: [{ data: 'A'.repeat(2048) }] });
    const tooLarge = await post(url, '/decode', big);
    expect(tooLarge.status).toBe(413);
    expect(JSON.parse(tooLarge.text).error).toContain('1024-byte limit');
    // Without Content-Length the limit is enforced while streaming.
    const chunked = await call(url, {
      headers: { ...json, 'Transfer-Encoding': 'chunked' },
      body: big,
    });
    expect(chunked.status).toBe(413);
  });

  it('requires the bearer token when configured, but not for preflight', async () => {
    const token = 'codec-token-0123456789abcdef';
    const url = await start({ authToken: token });
    const body = { payloads: [] };
    const missing = await post(url, '/decode', body);
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    expect((await post(url, '/decode', body, { Authorization: `Bearer ${token}x` })).status).toBe(
      401,
    );
    expect((await post(url, '/decode', body, { Authorization: token })).status).toBe(401);
    expect((await post(url, '/decode', body, { Authorization: `Bearer ${token}` })).status).toBe(
      200,
    );
    const preflight = await call(url, {
      method: 'OPTIONS',
      headers: { Origin: UI_ORIGIN, 'Access-Control-Request-Method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect([...replies, ...logs].join('\n')).not.toContain(token);
  });

  it('closes idempotently and stops accepting connections', async () => {
    const url = await start();
    const running = server as RunningCodecServer;
    await Promise.all([running.close(), running.close()]);
    await expect(call(url, { method: 'GET', path: '/healthz' })).rejects.toThrow(/ECONNREFUSED/);
  });

  it('rejects invalid options up front', async () => {
    await expect(startCodecServer({ port: 70000, keyring, corsOrigins: [] })).rejects.toThrow(
      'port must be an integer from 0 to 65535',
    );
    await expect(startCodecServer({ port: 0, keyring, corsOrigins: ['*'] })).rejects.toThrow(
      'list the Temporal UI origin explicitly',
    );
    await expect(
      startCodecServer({ port: 0, keyring, corsOrigins: [], authToken: '' }),
    ).rejects.toThrow('authToken must not be empty');
  });

  it('reports a port that is already taken', async () => {
    const url = await start();
    const port = Number(new URL(url).port);
    await expect(startCodecServer({ port, keyring, corsOrigins: [] })).rejects.toThrow(
      `cannot listen on 127.0.0.1:${port}: EADDRINUSE`,
    );
  });
});

describe('normalizeCorsOrigin', () => {
  it('canonicalises origins the way browsers send them', () => {
    expect(normalizeCorsOrigin('http://localhost:8233/')).toBe('http://localhost:8233');
    expect(normalizeCorsOrigin('HTTPS://Temporal.Example.com:443')).toBe(
      'https://temporal.example.com',
    );
  });

  it('rejects values that are not origins, saying what was expected', () => {
    expect(() => normalizeCorsOrigin('localhost:8233')).toThrow('must use http or https');
    expect(() => normalizeCorsOrigin('not a url')).toThrow('expected scheme://host[:port]');
    expect(() => normalizeCorsOrigin('http://localhost:8233/ui')).toThrow('without path');
  });
});
