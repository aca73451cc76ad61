// Protocol v1 on the wire (docs/protocol.md): one UTF-8 JSON object per frame, told apart by `type`.
// Both ends, the uplink and the reference upstream, read frames through `parseFrame`.
import type { z } from 'zod';

export const subprotocol = 'store-gateway.v1';
export const protocolVersion = 1;

/** Parses one text frame against the schema of its `type`; the reason it is invalid never quotes its content. */
export function parseFrame<F>(
  text: string,
  byType: Readonly<Record<string, z.ZodType<F>>>,
): { frame: F } | { invalid: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { invalid: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { invalid: 'not a JSON object' };
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string') return { invalid: 'no "type"' };
  const schema = Object.hasOwn(byType, type) ? byType[type] : undefined;
  if (!schema) return { invalid: `unknown type "${type.slice(0, 40)}"` };
  const parsed = schema.safeParse(value);
  if (parsed.success) return { frame: parsed.data };
  const issue = parsed.error.issues[0];
  return {
    invalid: `bad "${type}" frame: ${issue?.path.join('.') || '(frame)'} ${issue?.message ?? ''}`.trim(),
  };
}

/** A peer that sends more invalid frames than this within `abuseWindowMs` is disconnected (1008). */
export const maxInvalidFrames = 20;
export const abuseWindowMs = 60_000;

/** Counts one peer's invalid frames over a sliding window, the same way on both ends. */
export class InvalidFrames {
  #at: number[] = [];

  /** Records one invalid frame at `now`; returns how many fell within the window, this one included. */
  note(now: number): number {
    this.#at = this.#at.filter((t) => now - t < abuseWindowMs);
    this.#at.push(now);
    return this.#at.length;
  }
}
