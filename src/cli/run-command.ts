/**
 * Exit codes of every command: 0 success, 1 failure (a sync that failed, Temporal unreachable),
 * 2 bad configuration or arguments — one line per problem, naming the variable or option.
 */
import { ConfigError } from '../config';
import { DurationError } from './durations';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function runCommand(action: () => Promise<number | void>): Promise<void> {
  return action().then(
    (code) => {
      process.exitCode = typeof code === 'number' ? code : 0;
    },
    (err: unknown) => {
      if (err instanceof ConfigError) {
        for (const e of err.errors) process.stderr.write(`okta-ocsf: ${e}\n`);
        process.exitCode = 2;
      } else if (err instanceof UsageError || err instanceof DurationError) {
        process.stderr.write(`okta-ocsf: ${err.message}\n`);
        process.exitCode = 2;
      } else {
        process.stderr.write(`okta-ocsf: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 1;
      }
    },
  );
}
