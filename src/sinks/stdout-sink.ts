/**
 * `OCSF_SINK=stdout`: NDJSON on standard output, for piping into another tool. Logs must
 * therefore go to stderr in a process using this sink.
 */

import { toNdjson } from './ndjson';
import {
  SinkRejectedError,
  SinkTransientError,
  type Delivery,
  type DeliveryResult,
  type EventSink,
  type SinkDefinition,
} from './sink';

export class StdoutSink implements EventSink {
  readonly kind = 'stdout';
  private closed = false;
  private streamError: Error | undefined;
  // Without a listener, a stream error (EPIPE when the reader exits) would crash the process.
  private readonly onError = (err: Error): void => {
    this.streamError = err;
  };

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {
    stream.on('error', this.onError);
  }

  async deliver(d: Delivery): Promise<DeliveryResult> {
    if (this.closed) throw new SinkTransientError('stdout sink: delivery after close()');
    this.throwIfBroken();
    const chunk = toNdjson(d.events);
    if (chunk !== '') {
      // The callback fires once the chunk is handed to the OS (or buffered under the high-water
      // mark), so a slow reader slows the sync instead of growing memory without bound.
      await new Promise<void>((resolve, reject) => {
        this.stream.write(chunk, (err?: Error | null) => (err ? reject(err) : resolve()));
      }).catch((err: Error) => {
        throw brokenStream(err);
      });
    }
    return { delivered: d.events.length, location: 'stdout' };
  }

  /** Leaves the stream open: it belongs to the process (or the test), not to the sink. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stream.removeListener('error', this.onError);
  }

  private throwIfBroken(): void {
    if (this.streamError) throw brokenStream(this.streamError);
  }
}

// The reader is gone (EPIPE) or the stream failed: nothing written later can reach anyone.
function brokenStream(err: Error): SinkRejectedError {
  const code = (err as NodeJS.ErrnoException).code;
  return new SinkRejectedError(
    `stdout sink: cannot write: ${code ? `${code}: ` : ''}${err.message}`,
  );
}

export const stdoutSinkDefinition: SinkDefinition<'stdout', Record<string, never>> = {
  kind: 'stdout',
  syntax: 'stdout',
  parse(arg) {
    if (arg !== undefined) {
      return { ok: false, errors: ['OCSF_SINK: expected "stdout" with nothing after it'] };
    }
    return { ok: true, settings: {} };
  },
  describe: () => 'stdout',
  create: (_settings, deps) => new StdoutSink(deps.stdout),
};
