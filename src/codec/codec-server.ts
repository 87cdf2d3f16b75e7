/**
 * Temporal codec server: lets the Temporal Web UI and CLI show encrypted payloads decrypted, for
 * operators who can reach it (and, when configured, hold its bearer token).
 *
 * Protocol (Temporal "Codec Server" contract, also served under one namespace segment for the CLI's
 * `--codec-endpoint http://host:port/{namespace}` templating):
 *   POST [/<namespace>]/decode  {"payloads":[{"metadata":{k: base64},"data": base64}]}  → same shape
 *   POST [/<namespace>]/encode  same
 *   GET  /healthz               liveness for containers; reveals nothing
 * The UI sends Content-Type, X-Namespace and, with "pass access token", Authorization (plus
 * Authorization-Extras); with "include cross-origin credentials" it sends cookies, hence
 * Access-Control-Allow-Credentials for the configured origins only.
 *
 * Responses and logs never contain key material or payload contents; errors name the field.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload } from '@temporalio/common';
import { AesGcmPayloadCodec, PayloadDecryptionError } from './aes-gcm-codec';
import type { Keyring } from './keyring';

export interface CodecServerOptions {
  port: number;
  /** Interface to bind; loopback unless you put an authenticating proxy or authToken in front. */
  host?: string;
  keyring: Keyring;
  /** Browser origins allowed to call the server, e.g. the Temporal UI at http://127.0.0.1:8233. */
  corsOrigins: string[];
  /** When set, every POST must carry `Authorization: Bearer <authToken>`. */
  authToken?: string;
  /** Largest accepted request body; larger requests get 413. */
  maxBodyBytes?: number;
  /** One line per request (method, path, status, payload count); never payload data or headers. */
  log?: (line: string) => void;
}

export interface RunningCodecServer {
  url: string;
  close(): Promise<void>;
}

export const DEFAULT_CODEC_PORT = 8888;
export const DEFAULT_CODEC_HOST = '127.0.0.1';
// Temporal's default gRPC message limit is 4 MiB; base64 in JSON inflates that by a third.
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;
const ALLOWED_METHODS = 'POST, OPTIONS';
const ALLOWED_HEADERS = 'Content-Type, X-Namespace, Authorization, Authorization-Extras';
const PREFLIGHT_MAX_AGE_SECONDS = '600';
// Bounds a client that trickles its body; the UI's requests finish in milliseconds.
const REQUEST_TIMEOUT_MS = 30_000;
const ROUTE = /^(?:\/([^/]+))?\/(decode|encode)\/?$/;

interface JsonPayload {
  metadata: Record<string, string>;
  data: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * Canonical form of a CORS origin (`scheme://host[:port]`, default port dropped, no trailing slash),
 * as browsers send it in the Origin header. Throws with the reason when it is not an origin.
 */
export function normalizeCorsOrigin(origin: string): string {
  const text = origin.trim();
  if (text === '*') {
    throw new Error(
      'CORS origin "*" is not allowed: the codec server decrypts data, list the Temporal UI origin explicitly',
    );
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(
      `CORS origin ${JSON.stringify(origin)} is not a URL: expected scheme://host[:port], e.g. http://127.0.0.1:8233`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`CORS origin ${JSON.stringify(origin)} must use http or https`);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username) {
    throw new Error(
      `CORS origin ${JSON.stringify(origin)} must be scheme://host[:port] without path, query or credentials`,
    );
  }
  return url.origin;
}

/** What every request is checked and served against, fixed when the server starts. */
interface CodecService {
  origins: ReadonlySet<string>;
  maxBodyBytes: number;
  codec: AesGcmPayloadCodec;
  /** Digest of the bearer token, when one is required. */
  expectedToken: Buffer | undefined;
  log: (line: string) => void;
}

export async function startCodecServer(opts: CodecServerOptions): Promise<RunningCodecServer> {
  const host = opts.host ?? DEFAULT_CODEC_HOST;
  const service = codecService(opts);
  const server = createServer((req, res) => serveRequest(service, req, res));
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  await listen(server, opts.port, host);

  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}`,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** Validates the options before anything listens, so a bad option never half-starts a server. */
function codecService(opts: CodecServerOptions): CodecService {
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    throw new Error(`codec server port must be an integer from 0 to 65535, got ${opts.port}`);
  }
  const origins = new Set(opts.corsOrigins.map(normalizeCorsOrigin));
  const codec = new AesGcmPayloadCodec(opts.keyring);
  if (opts.authToken !== undefined && opts.authToken.length === 0) {
    throw new Error('codec server authToken must not be empty');
  }
  return {
    origins,
    maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    codec,
    expectedToken: opts.authToken === undefined ? undefined : digest(opts.authToken),
    log: opts.log ?? (() => undefined),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        new Error(`codec server cannot listen on ${host}:${port}: ${error.code ?? error.message}`),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Turns every failure into a JSON error response and logs one line per request. */
function serveRequest(service: CodecService, req: IncomingMessage, res: ServerResponse): void {
  const started = process.hrtime.bigint();
  handle(service, req, res)
    .catch((error: unknown) => {
      if (error instanceof HttpError) {
        sendJson(res, error.status, { error: error.message }, error.headers);
      } else {
        // Codec failures are PayloadDecryptionError (422); anything else is our bug, reported
        // by class name only because a message could quote request data.
        service.log(
          `codec server: internal error (${error instanceof Error ? error.name : typeof error})`,
        );
        sendJson(res, 500, { error: 'internal error in the codec server' });
      }
    })
    .finally(() => {
      const ms = Number((process.hrtime.bigint() - started) / 1_000_000n);
      service.log(`${req.method ?? '?'} ${pathOf(req)} ${res.statusCode} ${ms}ms`);
    });
}

async function handle(
  service: CodecService,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const origin = req.headers.origin;
  const originAllowed = origin !== undefined && service.origins.has(origin);
  if (originAllowed) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
  }
  res.setHeader('Vary', 'Origin');

  const path = pathOf(req);
  if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
    sendJson(res, 200, { status: 'ok' });
    return;
  }
  const route = ROUTE.exec(path);
  if (!route) throw new HttpError(404, `no route for ${path}: use POST /decode or POST /encode`);
  const operation = route[2] as 'decode' | 'encode';

  if (origin !== undefined && !originAllowed) {
    throw new HttpError(
      403,
      `origin ${JSON.stringify(origin)} is not allowed; start the codec server with --cors-origin ${origin}`,
    );
  }
  if (req.method === 'OPTIONS') {
    answerPreflight(req, res, originAllowed);
    return;
  }
  checkCodecRequest(service, req, operation);
  const payloads = parseRequest(await readBody(req, service.maxBodyBytes));
  sendJson(res, 200, {
    payloads: (await convert(service, operation, payloads)).map(toJsonPayload),
  });
}

function answerPreflight(req: IncomingMessage, res: ServerResponse, originAllowed: boolean): void {
  res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
  res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
  res.setHeader('Access-Control-Max-Age', PREFLIGHT_MAX_AGE_SECONDS);
  // Chrome's Private Network Access: a public UI origin calling a loopback codec server.
  if (req.headers['access-control-request-private-network'] === 'true' && originAllowed) {
    res.setHeader('Access-Control-Allow-Private-Network', 'true');
  }
  res.writeHead(204).end();
}

/** Method, bearer token and content type, checked before the body is read. */
function checkCodecRequest(
  service: CodecService,
  req: IncomingMessage,
  operation: 'decode' | 'encode',
): void {
  if (req.method !== 'POST') {
    throw new HttpError(405, `${operation} accepts POST only`, { Allow: ALLOWED_METHODS });
  }
  if (
    service.expectedToken !== undefined &&
    !bearerMatches(req.headers.authorization, service.expectedToken)
  ) {
    throw new HttpError(401, 'missing or wrong bearer token in the Authorization header', {
      'WWW-Authenticate': 'Bearer',
    });
  }
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/json') {
    throw new HttpError(415, 'Content-Type must be application/json');
  }
}

async function convert(
  service: CodecService,
  operation: 'decode' | 'encode',
  payloads: Payload[],
): Promise<Payload[]> {
  try {
    return operation === 'decode'
      ? await service.codec.decode(payloads)
      : await service.codec.encode(payloads);
  } catch (error) {
    if (error instanceof PayloadDecryptionError) throw new HttpError(422, error.message);
    throw error;
  }
}

function pathOf(req: IncomingMessage): string {
  // The UI adds query parameters (e.g. preserveStorageRefs); routing ignores them. An endpoint
  // configured with a trailing slash, or the CLI's {namespace} template left empty, yields "//decode".
  return ((req.url ?? '/').split('?')[0] ?? '/').replace(/\/{2,}/g, '/');
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Constant-time comparison on digests, so neither the token nor its length leaks through timing. */
function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!match?.[1]) return false;
  return timingSafeEqual(digest(match[1].trim()), expected);
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = (): HttpError =>
    new HttpError(413, `request body is larger than the ${maxBytes}-byte limit`, {
      Connection: 'close',
    });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

const BASE64 = /^(?:[A-Za-z0-9+/]*={0,2}|[A-Za-z0-9_-]*={0,2})$/;
const SHAPE = '{"payloads": [{"metadata": {"<key>": "<base64>"}, "data": "<base64>"}]}';

/** Validates the proto3-JSON request and names the first field that is wrong. */
function parseRequest(body: Buffer): Payload[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    // JSON.parse's message quotes the body, which may be clear-text personal data.
    throw new HttpError(400, `request body is not valid JSON; expected ${SHAPE}`);
  }
  if (!isRecord(parsed)) throw new HttpError(400, `request body must be a JSON object: ${SHAPE}`);
  const list = parsed['payloads'];
  if (!Array.isArray(list))
    throw new HttpError(400, `"payloads" must be an array; expected ${SHAPE}`);
  return list.map((item: unknown, index) => {
    const at = `payloads[${index}]`;
    if (!isRecord(item)) throw new HttpError(400, `${at} must be an object with metadata and data`);
    const metadata: Record<string, Uint8Array> = {};
    const rawMetadata = item['metadata'];
    if (rawMetadata !== undefined && rawMetadata !== null) {
      if (!isRecord(rawMetadata)) throw new HttpError(400, `${at}.metadata must be an object`);
      for (const [key, value] of Object.entries(rawMetadata)) {
        metadata[key] = base64Field(value, `${at}.metadata.${key}`);
      }
    }
    const rawData = item['data'];
    const data =
      rawData === undefined || rawData === null
        ? new Uint8Array(0)
        : base64Field(rawData, `${at}.data`);
    return { metadata, data };
  });
}

function base64Field(value: unknown, at: string): Uint8Array {
  if (
    typeof value !== 'string' ||
    !BASE64.test(value) ||
    value.replace(/=+$/, '').length % 4 === 1
  ) {
    throw new HttpError(400, `${at} must be a base64 string`);
  }
  // Node's base64 decoder reads both the standard and the URL-safe alphabet.
  return Buffer.from(value, 'base64');
}

/** The UI recognises a payload only when both `metadata` and `data` keys are present. */
function toJsonPayload(payload: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload.metadata ?? {})) {
    metadata[key] = Buffer.from(value).toString('base64');
  }
  return { metadata, data: Buffer.from(payload.data ?? new Uint8Array(0)).toString('base64') };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}
