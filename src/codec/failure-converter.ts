/**
 * Failure converter loaded by path (DataConverter.failureConverterPath) in the Client, the Worker and
 * the workflow sandbox bundle.
 *
 * By default Temporal stores error messages and stack traces as plain text in history, outside any
 * payload codec, and our errors can name a user ("no groups for jane@example.com"). With
 * encodeCommonAttributes the message and stack move into an encoded payload that the codec encrypts.
 * Only @temporalio/common may be imported here: this file also runs inside the workflow sandbox.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
