import { createDecipheriv } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import {
  AesGcmPayloadCodec,
  ENCRYPTED_ENCODING,
  ENCRYPTION_KEY_ID_METADATA,
  PayloadDecryptionError,
} from '../../../src/codec/aes-gcm-codec';
import {
  ENCRYPTION_KEYS_ENV,
  generateKeyringEntry,
  parseKeyring,
  type Keyring,
} from '../../../src/codec/keyring';

const user = {
  id: '00u1abcd',
  profile: { email: 'zoë.müller@exämple.org', firstName: 'Zoë', lastName: 'Müller-Łukasiewicz' },
};
const secrets = [user.profile.email, user.profile.lastName];

function keyringOf(...entries: string[]): Keyring {
  const result = parseKeyring({ [ENCRYPTION_KEYS_ENV]: entries.join(',') });
  if (!result.ok || !result.keyring) throw new Error('test keyring did not parse');
  return result.keyring;
}

const keyOf = (entry: string): Buffer => Buffer.from(entry.slice(entry.indexOf(':') + 1), 'base64');
const text = (bytes: Uint8Array | null | undefined): string =>
  Buffer.from(bytes ?? new Uint8Array(0)).toString('utf8');
/** The bytes Temporal would store: the whole payload message, metadata included. */
const wireBytes = (payload: Payload): Buffer =>
  Buffer.from(temporal.api.common.v1.Payload.encode(payload).finish());

async function decodeError(codec: AesGcmPayloadCodec, payload: Payload): Promise<unknown> {
  try {
    await codec.decode([payload]);
  } catch (error) {
    return error;
  }
  throw new Error('decode was expected to fail');
}

describe('AesGcmPayloadCodec', () => {
  const k1 = generateKeyringEntry('k1');
  const k2 = generateKeyringEntry('k2');

  it('round-trips a JSON payload with non-ASCII personal data', async () => {
    const codec = new AesGcmPayloadCodec(keyringOf(k1));
    const original = defaultPayloadConverter.toPayload(user);
    const [encoded] = await codec.encode([original]);
    if (!encoded) throw new Error('no payload');
    const [decoded] = await codec.decode([encoded]);
    if (!decoded) throw new Error('no payload');

    expect(text(decoded.metadata?.encoding)).toBe('json/plain');
    expect(Buffer.from(decoded.data ?? []).equals(Buffer.from(original.data ?? []))).toBe(true);
    expect(defaultPayloadConverter.fromPayload(decoded)).toEqual(user);
  });

  it('leaves no personal data and no original metadata in the encoded payload', async () => {
    const codec = new AesGcmPayloadCodec(keyringOf(k1));
    const original = defaultPayloadConverter.toPayload(user);
    expect(wireBytes(original).includes(user.profile.email)).toBe(true); // the check can see clear text

    const [encoded] = await codec.encode([original]);
    if (!encoded) throw new Error('no payload');
    const bytes = wireBytes(encoded);
    for (const secret of secrets) {
      expect(bytes.includes(Buffer.from(secret, 'utf8'))).toBe(false);
      expect(bytes.includes(Buffer.from(secret, 'latin1'))).toBe(false);
    }
    expect(bytes.includes('json/plain')).toBe(false);
    expect(Object.keys(encoded.metadata ?? {}).sort()).toEqual(
      ['encoding', ENCRYPTION_KEY_ID_METADATA].sort(),
    );
    expect(text(encoded.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(encoded.metadata?.[ENCRYPTION_KEY_ID_METADATA])).toBe('k1');
  });

  it('uses the documented wire format: IV ‖ AES-256-GCM ciphertext ‖ 16-byte tag', async () => {
    const codec = new AesGcmPayloadCodec(keyringOf(k1));
    const original = defaultPayloadConverter.toPayload(user);
    const [encoded] = await codec.encode([original]);
    const data = Buffer.from(encoded?.data ?? []);

    // Decrypt independently of the codec, as another codec server with the same key would.
    const decipher = createDecipheriv('aes-256-gcm', keyOf(k1), data.subarray(0, 12));
    decipher.setAuthTag(data.subarray(data.length - 16));
    const plaintext = Buffer.concat([
      decipher.update(data.subarray(12, data.length - 16)),
      decipher.final(),
    ]);
    const inner = temporal.api.common.v1.Payload.decode(plaintext);
    expect(defaultPayloadConverter.fromPayload(inner)).toEqual(user);
    expect(data.length).toBe(12 + plaintext.length + 16);
  });

  it('uses a fresh IV per payload and keeps order across a batch', async () => {
    const codec = new AesGcmPayloadCodec(keyringOf(k1));
    const values = [user, user, null, 'plain string', new Uint8Array([0, 1, 2])];
    const encoded = await codec.encode(values.map((v) => defaultPayloadConverter.toPayload(v)));
    expect(encoded).toHaveLength(values.length);
    const first = Buffer.from(encoded[0]?.data ?? []);
    const second = Buffer.from(encoded[1]?.data ?? []);
    expect(first.subarray(0, 12).equals(second.subarray(0, 12))).toBe(false);
    expect(first.equals(second)).toBe(false);

    const decoded = await codec.decode(encoded);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual(values);
  });

  it('passes payloads that are not binary/encrypted through unchanged', async () => {
    const codec = new AesGcmPayloadCodec(keyringOf(k1));
    const plain = defaultPayloadConverter.toPayload(user);
    const noMetadata: Payload = { data: Buffer.from('x') };
    const decoded = await codec.decode([plain, noMetadata]);
    expect(decoded[0]).toBe(plain);
    expect(decoded[1]).toBe(noMetadata);
  });

  it('supports rotation: old payloads decrypt after a new key is put first, new ones use it', async () => {
    const before = new AesGcmPayloadCodec(keyringOf(k1));
    const after = new AesGcmPayloadCodec(keyringOf(k2, k1));
    const [old] = await before.encode([defaultPayloadConverter.toPayload(user)]);
    if (!old) throw new Error('no payload');

    const [decodedOld] = await after.decode([old]);
    expect(defaultPayloadConverter.fromPayload(decodedOld as Payload)).toEqual(user);

    const [fresh] = await after.encode([defaultPayloadConverter.toPayload(user)]);
    expect(text(fresh?.metadata?.[ENCRYPTION_KEY_ID_METADATA])).toBe('k2');
    // The retired key alone cannot read what the new key wrote.
    const error = await decodeError(before, fresh as Payload);
    expect(error).toBeInstanceOf(PayloadDecryptionError);
    expect((error as PayloadDecryptionError).keyId).toBe('k2');
  });

  it('names an unknown key id, and the configured ids, never key material', async () => {
    const [encoded] = await new AesGcmPayloadCodec(keyringOf(k1)).encode([
      defaultPayloadConverter.toPayload(user),
    ]);
    const error = await decodeError(new AesGcmPayloadCodec(keyringOf(k2)), encoded as Payload);
    expect(error).toBeInstanceOf(PayloadDecryptionError);
    const message = (error as Error).message;
    expect(message).toContain('key id "k1"');
    expect(message).toContain(ENCRYPTION_KEYS_ENV);
    expect(message).toContain('configured key ids: k2');
    for (const entry of [k1, k2]) {
      expect(message).not.toContain(entry.slice(3));
      expect(message).not.toContain(keyOf(entry).toString('hex'));
    }
  });

  it('rejects tampered ciphertext, tag, IV, and truncated data', async () => {
    const codec = new AesGcmPayloadCodec(keyringOf(k1));
    const [encoded] = await codec.encode([defaultPayloadConverter.toPayload(user)]);
    const data = Buffer.from(encoded?.data ?? []);
    const flipped = (index: number): Payload => {
      const copy = Buffer.from(data);
      copy[index] = (copy[index] as number) ^ 0x01;
      return { metadata: encoded?.metadata, data: copy };
    };
    for (const tampered of [flipped(20), flipped(data.length - 1), flipped(0)]) {
      const error = await decodeError(codec, tampered);
      expect(error).toBeInstanceOf(PayloadDecryptionError);
      expect((error as Error).message).toContain('authentication failed');
      expect((error as Error).message).toContain('key id "k1"');
    }
    const truncated = await decodeError(codec, {
      metadata: encoded?.metadata,
      data: data.subarray(0, 20),
    });
    expect((truncated as Error).message).toContain('data is 20 bytes');
  });

  it('rejects a payload decrypted with a different key registered under the same id', async () => {
    const [encoded] = await new AesGcmPayloadCodec(keyringOf(k1)).encode([
      defaultPayloadConverter.toPayload(user),
    ]);
    const impostor = new AesGcmPayloadCodec(keyringOf(generateKeyringEntry('k1')));
    const error = await decodeError(impostor, encoded as Payload);
    expect((error as Error).message).toContain('authentication failed');
  });

  it('requires the key id metadata on encrypted payloads', async () => {
    const codec = new AesGcmPayloadCodec(keyringOf(k1));
    const [encoded] = await codec.encode([defaultPayloadConverter.toPayload(user)]);
    const error = await decodeError(codec, {
      metadata: { encoding: encoded?.metadata?.encoding as Uint8Array },
      data: encoded?.data,
    });
    expect((error as Error).message).toContain(
      `"${ENCRYPTION_KEY_ID_METADATA}" metadata is missing`,
    );
  });
});
