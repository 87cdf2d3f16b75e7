/**
 * Validation of emitted events against the OCSF 1.8.0 User Inventory Info JSON Schema (see
 * schema/PROVENANCE.md), plus the one rule the schema cannot express: `time` in milliseconds (R2).
 *
 * The mapping builds every event, so an invalid one is a bug in this connector: it must fail
 * loudly, never be delivered. The schema is compiled once per process, on first use (Ajv code
 * generation takes a noticeable fraction of a second and most processes — the client, tests of
 * other modules — never validate).
 */

import Ajv2020 from 'ajv/dist/2020';
import type { ErrorObject, ValidateFunction } from 'ajv';
// A JSON import (not a path read at run time) so tsc emits the schema next to the compiled module
// and the same line works from src/ under jest and from dist/.
import schema from './schema/user_inventory-1.8.0.schema.json';
import { isPlausibleEventTimeMs, MAX_EVENT_TIME_MS, MIN_EVENT_TIME_MS } from './event-time';
import type { UserInventoryInfo } from './types';
import { ErrorType } from '../contract/error-table';

export interface OcsfSchemaError {
  /** JSON Pointer to the offending value, `""` for the event itself. */
  instancePath: string;
  message: string;
}

export class OcsfValidationError extends Error {
  override readonly name = ErrorType.OcsfValidationError;
  constructor(
    /** `user.uid` of the event, when it has one. */
    readonly userUid: string | undefined,
    readonly errors: readonly OcsfSchemaError[],
  ) {
    super(
      `OCSF event for user ${userUid === undefined ? '<no user.uid>' : JSON.stringify(userUid)} ` +
        `is invalid (a mapping bug): ${formatErrors(errors)}`,
    );
  }
}

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  // strict: false because the generated schema carries OCSF annotations ($comment captions,
  // `deprecated`) that Ajv's strict mode reports as unknown keywords.
  compiled ??= new Ajv2020({ strict: false, allErrors: true }).compile(schema);
  return compiled;
}

/** Every schema error of `event` (and the R2 time check); empty when valid. */
export function eventErrors(event: unknown): OcsfSchemaError[] {
  const validate = validator();
  const errors: OcsfSchemaError[] = validate(event)
    ? []
    : (validate.errors ?? []).map(toSchemaError);
  if (isRecord(event) && Number.isInteger(event.time) && !isPlausibleEventTimeMs(event.time)) {
    errors.push({
      instancePath: '/time',
      message:
        `must be integer milliseconds since the epoch (R2), between ${MIN_EVENT_TIME_MS} ` +
        `(2000-01-01) and ${MAX_EVENT_TIME_MS} (9999-12-31); got ${String(event.time)}, ` +
        `which looks like ${Number(event.time) < MIN_EVENT_TIME_MS ? 'seconds' : 'microseconds or nanoseconds'}`,
    });
  }
  return errors;
}

/** Throws `OcsfValidationError` unless `event` is a valid OCSF 1.8.0 User Inventory Info event. */
export function validateEvent(event: UserInventoryInfo): void {
  // Checked as `unknown`: the point is to catch what the types could not.
  const candidate: unknown = event;
  const errors = eventErrors(candidate);
  if (errors.length > 0) throw new OcsfValidationError(userUidOf(candidate), errors);
}

function toSchemaError(e: ErrorObject): OcsfSchemaError {
  let message = e.message ?? e.keyword;
  // Name what is wrong, not only where: the invented field, the allowed value.
  const params: Record<string, unknown> = e.params;
  if (e.keyword === 'additionalProperties') {
    message += ` (${JSON.stringify(params.additionalProperty)})`;
  } else if (e.keyword === 'const') {
    message += ` (${JSON.stringify(params.allowedValue)})`;
  } else if (e.keyword === 'enum') {
    message += ` (${JSON.stringify(params.allowedValues)})`;
  }
  return { instancePath: e.instancePath, message };
}

// Ajv reports every failed branch of an if/then or anyOf; a handful of lines is enough to act on.
const MAX_ERRORS_IN_MESSAGE = 10;

function formatErrors(errors: readonly OcsfSchemaError[]): string {
  const shown = errors
    .slice(0, MAX_ERRORS_IN_MESSAGE)
    .map((e) => `${e.instancePath === '' ? '/' : e.instancePath} ${e.message}`);
  if (errors.length > MAX_ERRORS_IN_MESSAGE) {
    shown.push(`… and ${errors.length - MAX_ERRORS_IN_MESSAGE} more`);
  }
  return shown.join('; ');
}

function userUidOf(event: unknown): string | undefined {
  if (!isRecord(event) || !isRecord(event.user)) return undefined;
  const uid = event.user.uid;
  return typeof uid === 'string' ? uid : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
