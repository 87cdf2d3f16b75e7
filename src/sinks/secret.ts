import { inspect } from 'node:util';

/**
 * A credential that reveals itself only on request. Configuration objects get logged, dumped to
 * JSON and printed in test failures; none of those paths can show the value.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  /** `text` with every occurrence of the secret replaced, for receiver bodies that echo it. */
  redact(text: string): string {
    return this.#value === '' ? text : text.split(this.#value).join('[redacted]');
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return 'Secret([redacted])';
  }
}
