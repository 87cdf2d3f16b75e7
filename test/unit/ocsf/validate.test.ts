import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { UserInventoryInfo } from '../../../src/ocsf/types';
import { OcsfValidationError, validateEvent } from '../../../src/ocsf/validate';
import { ErrorType } from '../../../src/contract/error-table';

const event = JSON.parse(
  readFileSync(
    path.join(__dirname, '..', '..', 'fixtures', 'ocsf', '01-active-super-admin.json'),
    'utf8',
  ),
) as UserInventoryInfo;

describe('validateEvent', () => {
  test('compiles the schema lazily, once per process', () => {
    jest.isolateModules(() => {
      // Fresh module instances: the validator below loads this very Ajv class.
      const ajv = jest.requireActual<typeof import('ajv/dist/2020')>('ajv/dist/2020');
      const compile = jest.spyOn(ajv.default.prototype, 'compile');
      const fresh = jest.requireActual<typeof import('../../../src/ocsf/validate')>(
        '../../../src/ocsf/validate',
      );
      expect(compile).not.toHaveBeenCalled();
      fresh.validateEvent(event);
      fresh.validateEvent(event);
      expect(() =>
        fresh.validateEvent({ ...event, type_uid: 5003002 } as unknown as UserInventoryInfo),
      ).toThrow(fresh.OcsfValidationError);
      expect(compile).toHaveBeenCalledTimes(1);
    });
  });

  test('the thrown error is an OcsfValidationError carrying the uid and the errors', () => {
    const bad = { ...event, class_uid: 5001 } as unknown as UserInventoryInfo;
    let caught: unknown;
    try {
      validateEvent(bad);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(OcsfValidationError);
    const err = caught as OcsfValidationError;
    expect(err.name).toBe(ErrorType.OcsfValidationError);
    expect(err.userUid).toBe(event.user.uid);
    expect(err.errors).toContainEqual({
      instancePath: '/class_uid',
      message: 'must be equal to constant (5003)',
    });
    expect(err.message).toContain('/class_uid must be equal to constant (5003)');
  });

  test('the message lists at most ten errors and says how many more there are', () => {
    const bad: Record<string, unknown> = { ...event };
    for (let i = 0; i < 15; i++) bad[`invented_${i}`] = i;
    expect(() => validateEvent(bad as unknown as UserInventoryInfo)).toThrow(/… and 5 more$/);
  });
});
