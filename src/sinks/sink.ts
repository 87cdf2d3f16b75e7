/**
 * Where OCSF events go. Every sink (file, stdout, Sekoia.io, …) is one module exporting a
 * `SinkDefinition`, listed once in sink-config.ts; the rest of the connector only knows
 * `EventSink` and the two error types below.
 *
 * Delivery is at-least-once: a page whose delivery failed, or whose activity was retried after it
 * had delivered, is delivered again. Every sink must therefore tolerate a repeated `Delivery`
 * (same `syncId` and `partId`): the file sink replaces the part, the others re-send it.
 *
 * A sink that sends a part in pieces (Sekoia.io's batches) reports each accepted piece through
 * `DeliverOptions.onProgress`; the caller records it (a Temporal heartbeat) and, when it delivers
 * the same part again, passes it back as `alreadyDelivered` so those events are not sent twice.
 * A sink that writes a part at once (the file sink) ignores both.
 */

import type { UserInventoryInfo } from '../ocsf/types';
import { ErrorType } from '../contract/error-table';

export interface Delivery {
  syncId: string;
  /** Unique per page within a sync, e.g. `run-000003-page-000012`; stable across retries. */
  partId: string;
  events: UserInventoryInfo[];
}

export interface DeliveryResult {
  delivered: number;
  /** Where the events went (a file path, `stdout`, a URL without credentials), for the summary. */
  location?: string;
}

/** How far an earlier attempt of the same delivery got, and how to report this one's progress. */
export interface DeliverOptions {
  /**
   * The first `alreadyDelivered` events of `Delivery.events` were accepted by an earlier attempt
   * of this same delivery (same `syncId`, `partId` and events in the same order): a sink that
   * delivers in pieces starts after them. Default 0.
   */
  alreadyDelivered?: number;
  /** Called after each accepted piece with the number of the part's events accepted so far. */
  onProgress?: (delivered: number) => void;
  /** Called each time the sink retries a request of this delivery (for the worker's metrics). */
  onRetry?: () => void;
}

export interface EventSink {
  readonly kind: string;
  /** `delivered` of the result counts the whole part, `alreadyDelivered` included. */
  deliver(d: Delivery, opts?: DeliverOptions): Promise<DeliveryResult>;
  /** Releases connections and listeners; later deliveries fail. Safe to call twice. */
  close(): Promise<void>;
}

/** Worth retrying later: the receiver or the disk may recover (5xx, 429, timeout, full disk). */
export class SinkTransientError extends Error {
  override readonly name = ErrorType.SinkTransientError;
  /**
   * Local time (ms since the epoch) before which a retry is pointless, when the receiver said so
   * (`Retry-After`). The activity layer turns it into Temporal's `nextRetryDelay`.
   */
  readonly resetAtMs?: number;
  constructor(message: string, opts: { resetAtMs?: number } = {}) {
    super(message);
    if (opts.resetAtMs !== undefined) this.resetAtMs = opts.resetAtMs;
  }
}

/**
 * Retrying cannot help (400, 401, 403, 413, a redirect, an unwritable directory): the sync must
 * stop and a human must look. `responseBody` is the receiver's answer, truncated and with the API
 * key removed should the receiver echo it.
 */
export class SinkRejectedError extends Error {
  override readonly name = ErrorType.SinkRejectedError;
  readonly status?: number;
  readonly responseBody?: string;
  constructor(message: string, opts: { status?: number; responseBody?: string } = {}) {
    super(message);
    if (opts.status !== undefined) this.status = opts.status;
    if (opts.responseBody !== undefined) this.responseBody = opts.responseBody;
  }
}

/** What a sink may be given besides its settings; tests inject these. */
export interface SinkDeps {
  /** The stdout sink's stream; `process.stdout` when absent. */
  stdout?: NodeJS.WritableStream;
}

export type SettingsResult<S> = { ok: true; settings: S } | { ok: false; errors: string[] };

/** A sink kind: how it is configured from the environment and how it is built. */
export interface SinkDefinition<Kind extends string, Settings> {
  /** The text before the first `:` of OCSF_SINK. */
  readonly kind: Kind;
  /** How OCSF_SINK selects it, for error messages, e.g. `file:<dir>`. */
  readonly syntax: string;
  /**
   * `arg` is what follows the first `:` of OCSF_SINK (undefined without a colon). Each error
   * names the variable and what was expected, and never repeats a secret.
   */
  parse(arg: string | undefined, env: NodeJS.ProcessEnv): SettingsResult<Settings>;
  /** One line for logs and the run summary; never contains a secret. */
  describe(settings: Settings): string;
  create(settings: Settings, deps: SinkDeps): EventSink;
}
