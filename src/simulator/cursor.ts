/**
 * Opaque `after` cursors, as Okta's are: a client must take them from the `next` link and can
 * neither read a position out of them nor forge one. A cursor carries the position of the last
 * item of its page, masked and authenticated with a key derived from the seed, and is bound to
 * the listing it came from (the users list, or one user's groups), so a cursor replayed against
 * another listing is rejected like a made-up one.
 */

import { createHmac } from 'node:crypto';
import { ApiError } from './api-error';

const POSITION_BYTES = 6;
const NONCE_BYTES = 4;
const TAG_BYTES = 6;

export class CursorCodec {
  private readonly key: Buffer;

  constructor(seed: number) {
    this.key = createHmac('sha256', 'okta-ocsf simulator cursors').update(String(seed)).digest();
  }

  encode(listing: string, position: number): string {
    const pos = Buffer.alloc(POSITION_BYTES);
    pos.writeUIntBE(position, 0, POSITION_BYTES);
    // Same position, same cursor: paging is reproducible from the seed.
    const nonce = this.mac('nonce', listing, pos).subarray(0, NONCE_BYTES);
    const mask = this.mac('mask', listing, nonce);
    for (let i = 0; i < POSITION_BYTES; i++) pos[i] ^= mask[i];
    const tag = this.mac('tag', listing, Buffer.concat([nonce, pos])).subarray(0, TAG_BYTES);
    return Buffer.concat([nonce, pos, tag]).toString('base64url');
  }

  /** The position, or undefined when the cursor is not one this listing issued. */
  decode(listing: string, cursor: string): number | undefined {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
    const raw = Buffer.from(cursor, 'base64url');
    if (raw.length !== NONCE_BYTES + POSITION_BYTES + TAG_BYTES) return undefined;
    const nonce = raw.subarray(0, NONCE_BYTES);
    const masked = raw.subarray(NONCE_BYTES, NONCE_BYTES + POSITION_BYTES);
    const tag = raw.subarray(NONCE_BYTES + POSITION_BYTES);
    const expected = this.mac('tag', listing, Buffer.concat([nonce, masked])).subarray(
      0,
      TAG_BYTES,
    );
    if (!expected.equals(tag)) return undefined;
    const mask = this.mac('mask', listing, nonce);
    const pos = Buffer.from(masked);
    for (let i = 0; i < POSITION_BYTES; i++) pos[i] ^= mask[i];
    return pos.readUIntBE(0, POSITION_BYTES);
  }

  /**
   * The position an `after` query parameter points at: -1 (the first page) when it is absent or
   * empty, and Okta's 400 on `after` when the cursor is not one this listing issued.
   */
  afterParam(listing: string, after: string | null): number {
    if (after === null || after === '') return -1;
    const position = this.decode(listing, after);
    if (position === undefined) {
      throw new ApiError(400, 'E0000001', 'Api validation failed: after', [
        'after: The cursor is not valid; take it from the next link of the previous page.',
      ]);
    }
    return position;
  }

  private mac(purpose: string, listing: string, data: Buffer): Buffer {
    return createHmac('sha256', this.key).update(`${purpose}\0${listing}\0`).update(data).digest();
  }
}
