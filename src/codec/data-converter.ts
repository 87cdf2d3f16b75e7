/**
 * The one place that decides how Temporal payloads are protected, for the Client and the Worker.
 */
import type { DataConverter } from '@temporalio/common';
import { AesGcmPayloadCodec } from './aes-gcm-codec';
import type { Keyring } from './keyring';

/**
 * Absolute path of the module exporting `failureConverter`; resolved once so a missing file fails at
 * startup, and usable both from compiled JS (dist) and from TS under jest.
 */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/**
 * `undefined` without a keyring (Temporal's default converter: clear-text JSON). With a keyring, every
 * payload is encrypted by AesGcmPayloadCodec and failure messages and stack traces are moved into
 * encrypted payloads too. Pass the same result to Client, Worker and any bundleWorkflowCode call.
 */
export function dataConverterFor(keyring: Keyring | null): DataConverter | undefined {
  if (!keyring) return undefined;
  return {
    payloadCodecs: [new AesGcmPayloadCodec(keyring)],
    failureConverterPath: FAILURE_CONVERTER_PATH,
  };
}
