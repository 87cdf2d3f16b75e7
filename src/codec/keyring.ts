/**
 * The AES-256 keys that protect Temporal payloads, read from OKTA_OCSF_ENCRYPTION_KEYS.
 *
 * Format: `keyId:base64key[,keyId:base64key...]`. The first entry encrypts; every entry decrypts.
 * Rotation: put a new key first and keep the old ones until every history written with them has
 * passed the namespace retention period.
 *
 * Nothing here ever puts key material into a message: errors identify entries by position, and a
 * Keyring prints as its key ids only.
 */
import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';

export const ENCRYPTION_KEYS_ENV = 'OKTA_OCSF_ENCRYPTION_KEYS';
/** AES-256 needs exactly 32 key bytes. */
export const KEY_BYTES = 32;
export const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const KEY_ID_RULE = '1-64 characters from A-Z a-z 0-9 . _ -';
const FORMAT = 'keyId:base64key';

export interface KeyringEntry {
  id: string;
  key: Uint8Array;
}

export class Keyring {
  /** Key ids in configuration order; the first one encrypts. */
  readonly keyIds: readonly string[];
  // A private field keeps the KeyObjects out of util.inspect, JSON.stringify and jest diffs.
  readonly #keys: ReadonlyMap<string, KeyObject>;

  private constructor(keys: Map<string, KeyObject>) {
    this.#keys = keys;
    this.keyIds = Object.freeze([...keys.keys()]);
  }

  /**
   * Builds a keyring from already-decoded keys (tests, or keys fetched from a KMS).
   * Throws with the same position-based messages as parseKeyring.
   */
  static fromEntries(entries: readonly KeyringEntry[]): Keyring {
    const errors = entryErrors(entries);
    if (errors.length > 0) throw new Error(errors.join('\n'));
    const keys = new Map<string, KeyObject>();
    for (const { id, key } of entries) keys.set(id, createSecretKey(Buffer.from(key)));
    return new Keyring(keys);
  }

  /** The id of the key new payloads are encrypted with. */
  get encryptionKeyId(): string {
    return this.keyIds[0] as string;
  }

  has(keyId: string): boolean {
    return this.#keys.has(keyId);
  }

  /** The key for an id, or undefined when the id is not configured. */
  keyFor(keyId: string): KeyObject | undefined {
    return this.#keys.get(keyId);
  }

  toJSON(): { encryptionKeyId: string; keyIds: readonly string[] } {
    return { encryptionKeyId: this.encryptionKeyId, keyIds: this.keyIds };
  }

  [inspect.custom](): string {
    return `Keyring { encryptionKeyId: '${this.encryptionKeyId}', keyIds: [${this.keyIds
      .map((id) => `'${id}'`)
      .join(', ')}] }`;
  }
}

export type ParseKeyringResult =
  { ok: true; keyring: Keyring | null } | { ok: false; errors: string[] };

/**
 * Reads OKTA_OCSF_ENCRYPTION_KEYS from `env`.
 * Unset → `{ ok: true, keyring: null }` (payloads stay clear text). Set but empty is an error:
 * an empty expansion such as `${KEYS:-}` must not silently turn encryption off.
 */
export function parseKeyring(
  env: Readonly<Record<string, string | undefined>>,
): ParseKeyringResult {
  const raw = env[ENCRYPTION_KEYS_ENV];
  if (raw === undefined) return { ok: true, keyring: null };
  if (raw.trim() === '') {
    return {
      ok: false,
      errors: [
        `${ENCRYPTION_KEYS_ENV} is set but empty: expected a comma-separated list of ${FORMAT} ` +
          `entries (create one with "okta-ocsf keygen"), or unset it to run without payload encryption`,
      ],
    };
  }

  const errors: string[] = [];
  const entries: KeyringEntry[] = [];
  const parts = raw.split(',');
  parts.forEach((part, index) => {
    const where = `${ENCRYPTION_KEYS_ENV} entry ${index + 1} of ${parts.length}`;
    const entry = part.trim();
    if (entry === '') {
      errors.push(`${where} is empty: expected ${FORMAT} (check for a stray comma)`);
      return;
    }
    const colon = entry.indexOf(':');
    if (colon < 0) {
      errors.push(`${where} has no ':' separator: expected ${FORMAT}`);
      return;
    }
    const id = entry.slice(0, colon).trim();
    const encodedKey = entry.slice(colon + 1).trim();
    let valid = true;
    if (!KEY_ID_PATTERN.test(id)) {
      errors.push(`${where}: the key id (before ':') must be ${KEY_ID_RULE}`);
      valid = false;
    }
    const key = decodeBase64Strict(encodedKey);
    if (key === null) {
      errors.push(
        `${where}: the key (after ':') is not valid base64; expected the base64 of ${KEY_BYTES} random bytes`,
      );
      valid = false;
    } else {
      const keyError = keyBytesError(key);
      if (keyError) {
        errors.push(`${where}: ${keyError}`);
        valid = false;
      }
    }
    // An invalid entry stays out of the duplicate check so its id (possibly a pasted key) is never echoed.
    if (valid && key) entries.push({ id, key });
    else entries.push({ id: '', key: new Uint8Array(0) });
  });

  const seen = new Map<string, number>();
  entries.forEach(({ id }, index) => {
    if (id === '') return;
    const first = seen.get(id);
    if (first === undefined) seen.set(id, index);
    else {
      errors.push(
        `${ENCRYPTION_KEYS_ENV} entries ${first + 1} and ${index + 1} both use key id "${id}": key ids must be unique`,
      );
    }
  });

  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, keyring: Keyring.fromEntries(entries) };
}

/** A new `id:base64` entry with 32 bytes from the system CSPRNG, ready to prepend to the variable. */
export function generateKeyringEntry(id: string): string {
  if (!KEY_ID_PATTERN.test(id)) {
    throw new Error(`key id must be ${KEY_ID_RULE}; got ${JSON.stringify(id)}`);
  }
  return `${id}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

function entryErrors(entries: readonly KeyringEntry[]): string[] {
  const errors: string[] = [];
  if (entries.length === 0) errors.push('a keyring needs at least one key');
  const seen = new Set<string>();
  entries.forEach(({ id, key }, index) => {
    const where = `key ${index + 1} of ${entries.length}`;
    if (!KEY_ID_PATTERN.test(id)) errors.push(`${where}: the key id must be ${KEY_ID_RULE}`);
    else if (seen.has(id)) errors.push(`${where}: key id "${id}" is used twice`);
    seen.add(id);
    const keyError = keyBytesError(key);
    if (keyError) errors.push(`${where}: ${keyError}`);
  });
  return errors;
}

function keyBytesError(key: Uint8Array): string | null {
  if (key.length !== KEY_BYTES) {
    return `the key must decode to exactly ${KEY_BYTES} bytes for AES-256, got ${key.length} bytes`;
  }
  // A key of one repeated byte (e.g. "AAAA...=") is a placeholder, not a secret.
  if (key.every((byte) => byte === key[0])) {
    return `the key bytes are all identical, which looks like a placeholder; create a real key with "okta-ocsf keygen"`;
  }
  return null;
}

/**
 * Standard or URL-safe base64, padding optional, rejecting anything Buffer.from would silently
 * skip or truncate (stray characters, non-canonical trailing bits).
 */
function decodeBase64Strict(text: string): Uint8Array | null {
  const standard = text.replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(standard)) return null;
  const unpadded = standard.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) return null;
  if (standard.length !== unpadded.length && standard.length % 4 !== 0) return null;
  const bytes = Buffer.from(unpadded, 'base64');
  if (bytes.toString('base64').replace(/=+$/, '') !== unpadded) return null;
  return bytes;
}
