/**
 * Payload codec that encrypts every Temporal payload with AES-256-GCM before it leaves this
 * process, so Okta personal data (emails, names) never reaches Temporal history in clear text.
 *
 * Wire format of an encrypted payload:
 *   metadata.encoding          = "binary/encrypted"
 *   metadata.encryption-key-id = id of the keyring entry used (UTF-8)
 *   data                       = IV (12 random bytes) ‖ ciphertext ‖ GCM tag (16 bytes)
 * The plaintext is the whole original Payload protobuf (its metadata included), so the encoding
 * and message type of the original value are hidden too. This is the same layout as Temporal's
 * encryption samples, so their codec servers can read it given the same keys.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ENCRYPTION_KEYS_ENV, type Keyring } from './keyring';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const ENCRYPTION_KEY_ID_METADATA = 'encryption-key-id';
const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const ProtoPayload = temporal.api.common.v1.Payload;

/** Decryption failed; `keyId` (never key material) says which key the payload asked for. */
export class PayloadDecryptionError extends Error {
  override readonly name = 'PayloadDecryptionError';
  constructor(
    message: string,
    readonly keyId?: string,
  ) {
    super(message);
  }
}

export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keyring: Keyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encryptOne(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decryptOne(payload));
  }

  private encryptOne(payload: Payload): Payload {
    const keyId = this.keyring.encryptionKeyId;
    const key = this.keyring.keyFor(keyId);
    if (!key) throw new Error(`encryption key id "${keyId}" is missing from the keyring`);
    const plaintext = ProtoPayload.encode(payload).finish();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: utf8(ENCRYPTED_ENCODING),
        [ENCRYPTION_KEY_ID_METADATA]: utf8(keyId),
      },
      data: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
    };
  }

  private decryptOne(payload: Payload): Payload {
    const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
    // Payloads written before encryption was turned on (or by other clients) stay readable.
    if (!encoding || Buffer.from(encoding).toString('utf8') !== ENCRYPTED_ENCODING) return payload;

    const keyIdBytes = payload.metadata?.[ENCRYPTION_KEY_ID_METADATA];
    if (!keyIdBytes || keyIdBytes.length === 0) {
      throw new PayloadDecryptionError(
        `cannot decrypt payload: its "${ENCRYPTION_KEY_ID_METADATA}" metadata is missing`,
      );
    }
    const keyId = Buffer.from(keyIdBytes).toString('utf8');
    const key = this.keyring.keyFor(keyId);
    if (!key) {
      throw new PayloadDecryptionError(
        `cannot decrypt payload: it was encrypted with key id ${JSON.stringify(keyId)}, which is not ` +
          `in ${ENCRYPTION_KEYS_ENV} (configured key ids: ${this.keyring.keyIds.join(', ')}); ` +
          `add that key back to read histories written with it`,
        keyId,
      );
    }

    const data = payload.data ?? new Uint8Array(0);
    if (data.length < IV_BYTES + TAG_BYTES) {
      throw new PayloadDecryptionError(
        `cannot decrypt payload encrypted with key id ${JSON.stringify(keyId)}: data is ${data.length} bytes, ` +
          `shorter than the ${IV_BYTES}-byte IV plus ${TAG_BYTES}-byte tag`,
        keyId,
      );
    }
    const iv = data.subarray(0, IV_BYTES);
    const tag = data.subarray(data.length - TAG_BYTES);
    const ciphertext = data.subarray(IV_BYTES, data.length - TAG_BYTES);
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(tag);
      plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      // OpenSSL's message ("Unsupported state or unable to authenticate data") says nothing useful.
      throw new PayloadDecryptionError(
        `cannot decrypt payload encrypted with key id ${JSON.stringify(keyId)}: authentication failed ` +
          `(the payload was modified, or the key configured under that id is not the one it was encrypted with)`,
        keyId,
      );
    }
    try {
      return ProtoPayload.decode(plaintext);
    } catch {
      throw new PayloadDecryptionError(
        `decrypted payload (key id ${JSON.stringify(keyId)}) is not a valid Temporal Payload message`,
        keyId,
      );
    }
  }
}

function utf8(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}
