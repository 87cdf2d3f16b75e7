/**
 * The one table that says, for every error type a sync can meet, whether retrying can fix it.
 * The workflow's `nonRetryableErrorTypes`, the activities' failure conversion
 * (src/activities/failures.ts), the enrichment fallback rule and the Okta client's `retryable`
 * flags all read it, so they cannot disagree again.
 *
 * Three answers:
 * - `transient`: the cause goes away by itself (a rate-limit window resets, a 5xx passes, the
 *   receiver comes back). Retried until the activity's attempts or time budget run out
 *   (src/contract/activity-budget.ts); an enrichment falls back on its last attempt instead.
 * - `fatal`: retrying cannot help (a revoked token, a mapping bug, a corrupt staged file). The
 *   sync fails at once with the message.
 * - `bounded`: not known to pass — an error this table does not name (a bug, a file-system
 *   surprise) or one that another attempt elsewhere might cure. Retried a few times
 *   (`BOUNDED_ATTEMPTS`), then failed for good: never an endless retry of a bug.
 *
 * Workflow code imports this module: plain values only, no Node APIs.
 */

export type Retryability = 'transient' | 'fatal' | 'bounded';

export interface ErrorTypeRule {
  retry: Retryability;
  /** Why, for operators reading README's table and for the next person adding a type. */
  why: string;
}

/** Attempts an error of `bounded` retryability (unknown errors included) gets, the first included. */
export const BOUNDED_ATTEMPTS = 3;

export const ERROR_TABLE = {
  // ---- Okta client (src/okta/errors.ts) ----
  OktaRateLimitedError: {
    retry: 'transient',
    why: "429 or the limiter's wait budget spent: retried when Okta's window resets",
  },
  OktaTransientError: { retry: 'transient', why: '5xx, timeout, dropped connection, bad body' },
  OktaAuthError: { retry: 'fatal', why: '401/403: the token is invalid or lacks a permission' },
  OktaNotFoundError: {
    retry: 'fatal',
    why: '404: a deleted user or group is handled per record; anywhere else it is a wrong path',
  },
  OktaBadRequestError: { retry: 'fatal', why: '400: Okta rejects the request itself' },
  OktaUnexpectedResponseError: { retry: 'fatal', why: 'a redirect, 405, 409…: not retried' },
  OktaUnsafeLinkError: { retry: 'fatal', why: 'a paging link off the org: never followed' },
  OktaAbortedError: {
    retry: 'fatal',
    why: 'aborted by the activity itself after another failure, which is the one reported',
  },
  OktaOAuthError: {
    retry: 'fatal',
    why: 'the token endpoint refuses the service app (unknown client, bad key, scope, clock skew)',
  },
  SystemLogUnavailableError: {
    retry: 'fatal',
    why: 'OKTA_OCSF_SYSTEM_LOG=required and Okta refuses the System Log (403)',
  },
  // ---- sinks (src/sinks/sink.ts) ----
  SinkTransientError: { retry: 'transient', why: 'receiver 5xx/429/timeout, disk full' },
  SinkRejectedError: { retry: 'fatal', why: 'receiver says 400/401/403/413, unwritable folder' },
  // ---- the sync's own ----
  OcsfValidationError: { retry: 'fatal', why: 'an invalid OCSF event is a mapping bug' },
  OrgMismatchError: { retry: 'fatal', why: "the worker does not hold this org's token" },
  StagingCorruptError: {
    retry: 'fatal',
    why: 'a staged file that does not parse will not parse on the next attempt either',
  },
  StagingUnsafeIdError: {
    retry: 'transient',
    why:
      "an id in Okta's answer that is no safe file name: retried like a damaged answer, then " +
      'the enrichment falls back on its last attempt (one bad record never stops the sync)',
  },
  StagingMissingError: {
    retry: 'bounded',
    why: 'staged data not on this worker: another attempt may run where it is',
  },
  InvalidSyncInput: { retry: 'fatal', why: 'a bad workflow input field (named in the message)' },
  SyncFailed: { retry: 'fatal', why: "the sync workflow's own failure, carrying the summary" },
} as const satisfies Record<string, ErrorTypeRule>;

export type KnownErrorType = keyof typeof ERROR_TABLE;

/** How retrying treats an error of this type (its `name`); unknown names are `bounded`. */
export function retryabilityOf(type: string): Retryability {
  return Object.hasOwn(ERROR_TABLE, type) ? ERROR_TABLE[type as KnownErrorType].retry : 'bounded';
}

/** Whether a later retry can cure an error of this type (only `transient` ones). */
export function isTransientType(type: string): boolean {
  return retryabilityOf(type) === 'transient';
}

/** The workflow's `nonRetryableErrorTypes`: every `fatal` type. */
export const NON_RETRYABLE_ERROR_TYPES: readonly string[] = Object.entries(ERROR_TABLE)
  .filter(([, rule]) => rule.retry === 'fatal')
  .map(([type]) => type);

/**
 * Every error type by name, for code that throws, matches or tests one:
 * `ErrorType.OktaAuthError` is checked by the compiler where `'OktaAuthError'` is not.
 */
export const ErrorType = Object.fromEntries(Object.keys(ERROR_TABLE).map((k) => [k, k])) as {
  readonly [K in KnownErrorType]: K;
};
