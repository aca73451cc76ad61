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
