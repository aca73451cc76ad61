// A value that must never reach a log, an event or an error message. Printing, JSON-encoding or
// inspecting it shows a placeholder; only `reveal()` gives the value, at the one place that sends it.
import { inspect } from 'node:util';

export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[secret]';
  }
  toJSON(): string {
    return '[secret]';
  }
  [inspect.custom](): string {
    return '[secret]';
  }
}

const maxTokenLength = 8192;

/** What is wrong with a bearer token, in words that never quote it; undefined when it is usable. */
export function tokenProblem(value: string): string | undefined {
  if (value.length === 0) return 'the token is empty';
  if (value.length > maxTokenLength) return `the token is longer than ${maxTokenLength} characters`;
  if (!/^[\x21-\x7e]+$/.test(value)) return 'the token must be printable ASCII without spaces';
  return undefined;
}
