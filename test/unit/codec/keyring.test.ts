import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import {
  ENCRYPTION_KEYS_ENV,
  KEY_BYTES,
  Keyring,
  generateKeyringEntry,
  parseKeyring,
} from '../../../src/codec/keyring';

/** Every textual form of the key that could leak: base64, base64url, hex, and a 12-char prefix. */
function keyForms(base64: string): string[] {
  const bytes = Buffer.from(base64, 'base64');
  return [
    base64,
    base64.slice(0, 12),
    bytes.toString('base64url'),
    bytes.toString('hex'),
    bytes.toString('hex').slice(0, 16),
  ];
}

function expectNoKeyMaterial(texts: string[], base64Keys: string[]): void {
  const joined = texts.join('\n');
  for (const key of base64Keys) {
    for (const form of keyForms(key)) expect(joined).not.toContain(form);
  }
}

function errorsOf(value: string): string[] {
  const result = parseKeyring({ [ENCRYPTION_KEYS_ENV]: value });
  if (result.ok) throw new Error(`expected ${ENCRYPTION_KEYS_ENV} to be rejected`);
  return result.errors;
}

const keyOf = (entry: string): string => entry.slice(entry.indexOf(':') + 1);

describe('parseKeyring', () => {
  it('returns a null keyring when the variable is unset', () => {
    expect(parseKeyring({})).toEqual({ ok: true, keyring: null });
  });

  it('encrypts with the first entry and decrypts with all of them, in order', () => {
    const newer = generateKeyringEntry('k2');
    const older = generateKeyringEntry('k1');
    const result = parseKeyring({ [ENCRYPTION_KEYS_ENV]: ` ${newer} , ${older} ` });
    if (!result.ok || !result.keyring) throw new Error('expected a keyring');
    expect(result.keyring.encryptionKeyId).toBe('k2');
    expect(result.keyring.keyIds).toEqual(['k2', 'k1']);
    expect(result.keyring.has('k1')).toBe(true);
    expect(result.keyring.has('k3')).toBe(false);
    expect(result.keyring.keyFor('k1')?.symmetricKeySize).toBe(KEY_BYTES);
    expect(
      result.keyring
        .keyFor('k1')
        ?.export()
        .equals(Buffer.from(keyOf(older), 'base64')),
    ).toBe(true);
  });

  it('accepts URL-safe and unpadded base64 and ids using every allowed character', () => {
    const bytes = randomBytes(KEY_BYTES);
    const id = 'Key_2025-01.rotation';
    const result = parseKeyring({
      [ENCRYPTION_KEYS_ENV]: `${id}:${bytes.toString('base64url')}`,
    });
    if (!result.ok || !result.keyring) throw new Error('expected a keyring');
    expect(result.keyring.keyFor(id)?.export().equals(bytes)).toBe(true);
  });

  it('rejects a key that is not 32 bytes, naming the variable and the entry, without the key', () => {
    const short = randomBytes(16).toString('base64');
    const errors = errorsOf(`${generateKeyringEntry('k1')},k2:${short}`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(ENCRYPTION_KEYS_ENV);
    expect(errors[0]).toContain('entry 2 of 2');
    expect(errors[0]).toContain('exactly 32 bytes');
    expect(errors[0]).toContain('got 16 bytes');
    expectNoKeyMaterial(errors, [short]);
  });

  it('rejects a key that is not base64', () => {
    const errors = errorsOf('k1:this is *not* base64!');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/OKTA_OCSF_ENCRYPTION_KEYS entry 1 of 1: .*not valid base64/);
    expect(errors[0]).not.toContain('this is');
  });

  it('rejects base64 that Buffer.from would silently truncate', () => {
    const key = randomBytes(KEY_BYTES).toString('base64');
    // A stray character in the middle: lenient decoders drop it and still yield 32 bytes.
    const errors = errorsOf(`k1:${key.slice(0, 20)}.${key.slice(20)}`);
    expect(errors[0]).toContain('not valid base64');
    expectNoKeyMaterial(errors, [key]);
  });

  it('rejects duplicate key ids, naming both entries and the id', () => {
    const first = generateKeyringEntry('k1');
    const second = generateKeyringEntry('k1');
    const errors = errorsOf(`${first},${generateKeyringEntry('k2')},${second}`);
    expect(errors).toEqual([expect.stringContaining('entries 1 and 3 both use key id "k1"')]);
    expect(errors[0]).toContain(ENCRYPTION_KEYS_ENV);
    expectNoKeyMaterial(errors, [keyOf(first), keyOf(second)]);
  });

  it('rejects a set-but-empty variable instead of silently disabling encryption', () => {
    for (const value of ['', '   ']) {
      const errors = errorsOf(value);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(`${ENCRYPTION_KEYS_ENV} is set but empty`);
      expect(errors[0]).toContain('okta-ocsf keygen');
    }
  });

  it('rejects empty entries from stray commas', () => {
    const entry = generateKeyringEntry('k1');
    const errors = errorsOf(`${entry},,`);
    expect(errors).toEqual([
      expect.stringContaining('entry 2 of 3 is empty'),
      expect.stringContaining('entry 3 of 3 is empty'),
    ]);
    expectNoKeyMaterial(errors, [keyOf(entry)]);
  });

  it('does not echo a bare key pasted without an id', () => {
    const key = randomBytes(KEY_BYTES).toString('base64');
    const errors = errorsOf(key);
    expect(errors).toEqual([
      expect.stringContaining("has no ':' separator: expected keyId:base64key"),
    ]);
    expectNoKeyMaterial(errors, [key]);
  });

  it('does not echo the key when id and key are swapped', () => {
    const key = randomBytes(KEY_BYTES).toString('base64url');
    const errors = errorsOf(`${key}:k1`);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.includes(ENCRYPTION_KEYS_ENV))).toBe(true);
    expectNoKeyMaterial(errors, [Buffer.from(key, 'base64url').toString('base64')]);
  });

  it('rejects key ids outside [A-Za-z0-9._-]{1,64}', () => {
    const key = randomBytes(KEY_BYTES).toString('base64');
    for (const id of ['', 'has space', 'a/b', 'x'.repeat(65), 'ключ']) {
      const errors = errorsOf(`${id}:${key}`);
      expect(errors).toEqual([expect.stringContaining('key id (before')]);
      expectNoKeyMaterial(errors, [key]);
    }
  });

  it('rejects placeholder keys made of one repeated byte', () => {
    const errors = errorsOf(`k1:${Buffer.alloc(KEY_BYTES).toString('base64')}`);
    expect(errors[0]).toContain('looks like a placeholder');
  });

  it('reports every bad entry at once', () => {
    const errors = errorsOf(`nocolon,k2:${randomBytes(8).toString('base64')},bad id:abc`);
    expect(errors).toHaveLength(4);
    expect(errors.map((e) => e.match(/entry (\d) of 3/)?.[1])).toEqual(['1', '2', '3', '3']);
  });
});

describe('Keyring', () => {
  it('never shows key material when printed, serialised or inspected', () => {
    const entry = generateKeyringEntry('k1');
    const result = parseKeyring({ [ENCRYPTION_KEYS_ENV]: entry });
    if (!result.ok || !result.keyring) throw new Error('expected a keyring');
    const keyring = result.keyring;
    const texts = [
      inspect(keyring, { depth: 10, showHidden: true }),
      JSON.stringify(keyring),
      String(keyring),
      JSON.stringify({ ...keyring }),
    ];
    expect(texts[0]).toContain("'k1'");
    expect(JSON.parse(texts[1] as string)).toEqual({ encryptionKeyId: 'k1', keyIds: ['k1'] });
    expectNoKeyMaterial(texts, [keyOf(entry)]);
  });

  it('fromEntries validates like the parser', () => {
    const key = randomBytes(KEY_BYTES);
    expect(Keyring.fromEntries([{ id: 'a', key }]).encryptionKeyId).toBe('a');
    expect(() => Keyring.fromEntries([])).toThrow('at least one key');
    expect(() =>
      Keyring.fromEntries([
        { id: 'a', key },
        { id: 'a', key: randomBytes(KEY_BYTES) },
      ]),
    ).toThrow('key id "a" is used twice');
    expect(() => Keyring.fromEntries([{ id: 'a', key: randomBytes(31) }])).toThrow('got 31 bytes');
  });
});

describe('generateKeyringEntry', () => {
  it('produces a fresh 32-byte key under the given id, accepted by the parser', () => {
    const a = generateKeyringEntry('k1');
    const b = generateKeyringEntry('k1');
    expect(a).toMatch(/^k1:[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(keyOf(a), 'base64')).toHaveLength(KEY_BYTES);
    expect(a).not.toBe(b);
    expect(parseKeyring({ [ENCRYPTION_KEYS_ENV]: a }).ok).toBe(true);
  });

  it('rejects an invalid id', () => {
    expect(() => generateKeyringEntry('no spaces')).toThrow('key id must be');
  });
});
