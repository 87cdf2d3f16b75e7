/**
 * End to end through the SDK's own conversion path (the helpers Client and Worker call), without a
 * Temporal server: what would be written to history must not contain the clear text.
 */
import {
  ApplicationFailure,
  DefaultFailureConverter,
  type LoadedDataConverter,
} from '@temporalio/common';
import {
  decodeArrayFromPayloads,
  decodeMapFromPayloads,
  decodeOptionalFailureToOptionalError,
  encodeErrorToFailure,
  encodeMapToPayloads,
  encodeToPayloads,
  loadDataConverter,
} from '@temporalio/common/lib/internal-non-workflow';
import { temporal } from '@temporalio/proto';
import { ENCRYPTED_ENCODING } from '../../../src/codec/aes-gcm-codec';
import { FAILURE_CONVERTER_PATH, dataConverterFor } from '../../../src/codec/data-converter';
import {
  ENCRYPTION_KEYS_ENV,
  generateKeyringEntry,
  parseKeyring,
  type Keyring,
} from '../../../src/codec/keyring';

const email = 'sjöberg.åsa@exämple.se';
const name = 'Åsa Sjöberg';
const ocsfEvent = {
  class_uid: 5003,
  user: { email_addr: email, full_name: name, uid: '00u9' },
};

function keyring(): Keyring {
  const result = parseKeyring({ [ENCRYPTION_KEYS_ENV]: generateKeyringEntry('k1') });
  if (!result.ok || !result.keyring) throw new Error('test keyring did not parse');
  return result.keyring;
}

function encrypted(): LoadedDataConverter {
  return loadDataConverter(dataConverterFor(keyring()));
}

const containsClearText = (bytes: Uint8Array): boolean => {
  const buffer = Buffer.from(bytes);
  return buffer.includes(email) || buffer.includes(name);
};

async function historyBytesOfArgs(converter: LoadedDataConverter): Promise<Uint8Array> {
  const payloads = await encodeToPayloads(converter, ocsfEvent, { note: `for ${name}` });
  return temporal.api.common.v1.Payloads.encode({ payloads }).finish();
}

async function historyBytesOfError(converter: LoadedDataConverter): Promise<Uint8Array> {
  const error = ApplicationFailure.nonRetryable(`no groups for ${email}`, 'MappingError', {
    user: name,
  });
  const failure = await encodeErrorToFailure(converter, error);
  return temporal.api.failure.v1.Failure.encode(failure).finish();
}

describe('dataConverterFor', () => {
  it('returns undefined without a keyring, so the SDK default converter is used', () => {
    expect(dataConverterFor(null)).toBeUndefined();
  });

  it('control: without a codec the clear text is visible in what history stores', async () => {
    const plain = loadDataConverter(dataConverterFor(null));
    expect(containsClearText(await historyBytesOfArgs(plain))).toBe(true);
    expect(containsClearText(await historyBytesOfError(plain))).toBe(true);
  });

  it('encrypts workflow/activity arguments so no email or name reaches history', async () => {
    const converter = encrypted();
    const payloads = (await encodeToPayloads(converter, ocsfEvent, { note: `for ${name}` })) ?? [];
    expect(payloads).toHaveLength(2);
    for (const payload of payloads) {
      expect(Buffer.from(payload.metadata?.encoding ?? []).toString()).toBe(ENCRYPTED_ENCODING);
    }
    expect(containsClearText(await historyBytesOfArgs(converter))).toBe(false);
    expect(await decodeArrayFromPayloads(converter, payloads)).toEqual([
      ocsfEvent,
      { note: `for ${name}` },
    ]);
  });

  it('encrypts memo-style payload maps', async () => {
    const converter = encrypted();
    const map = await encodeMapToPayloads(converter, { owner: email });
    const bytes = temporal.api.common.v1.Memo.encode({ fields: map }).finish();
    expect(containsClearText(bytes)).toBe(false);
    expect(await decodeMapFromPayloads(converter, map)).toEqual({ owner: email });
  });

  it('encrypts failure messages, stack traces and details', async () => {
    const converter = encrypted();
    expect(containsClearText(await historyBytesOfError(converter))).toBe(false);

    const error = ApplicationFailure.nonRetryable(`no groups for ${email}`, 'MappingError', {
      user: name,
    });
    const failure = await encodeErrorToFailure(converter, error);
    const decoded = await decodeOptionalFailureToOptionalError(converter, failure);
    expect(decoded).toBeInstanceOf(ApplicationFailure);
    expect((decoded as ApplicationFailure).message).toBe(`no groups for ${email}`);
    expect((decoded as ApplicationFailure).type).toBe('MappingError');
    expect((decoded as ApplicationFailure).details).toEqual([{ user: name }]);
  });

  it('loads the failure converter from a path the Worker can also bundle into the sandbox', async () => {
    const loaded = (await import(FAILURE_CONVERTER_PATH)) as { failureConverter?: unknown };
    expect(loaded.failureConverter).toBeInstanceOf(DefaultFailureConverter);
    expect(
      (loaded.failureConverter as DefaultFailureConverter).options.encodeCommonAttributes,
    ).toBe(true);
  });

  it('decodes histories written before encryption was turned on', async () => {
    const plainPayloads = await encodeToPayloads(loadDataConverter(undefined), ocsfEvent);
    expect(await decodeArrayFromPayloads(encrypted(), plainPayloads)).toEqual([ocsfEvent]);
  });
});
