// Frames the cloud may send (protocol v1, docs/protocol.md). Anything else is invalid and dropped.
import { z } from 'zod';

const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const frameId = z.string().min(1).max(128);
const cloudError = z.object({ code: z.string().max(128), message: z.string().max(4096) });

export const cloudFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('welcome'), ackedSeq: seq }),
  z.object({ type: z.literal('ack'), seq }),
  z.object({
    type: z.literal('response'),
    id: frameId,
    result: z.unknown().optional(),
    error: cloudError.optional(),
  }),
  z.object({
    type: z.literal('command'),
    id: frameId,
    name: z.string().min(1).max(128),
    args: z.record(z.string(), z.unknown()).default({}),
  }),
]);

export type CloudFrame = z.output<typeof cloudFrame>;
export type CommandFrame = Extract<CloudFrame, { type: 'command' }>;

export type CommandOutcome =
  | { ok: true; result?: unknown }
  | { ok: false; error: { code: string; message: string } };

/** Parses one text frame; returns the frame or the reason it is invalid (never the frame's content). */
export function parseCloudFrame(text: string): { frame: CloudFrame } | { invalid: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { invalid: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { invalid: 'not a JSON object' };
  const type = (value as { type?: unknown }).type;
  const parsed = cloudFrame.safeParse(value);
  if (parsed.success) return { frame: parsed.data };
  if (typeof type !== 'string') return { invalid: 'no "type"' };
  if (!['welcome', 'ack', 'response', 'command'].includes(type))
    return { invalid: `unknown type "${type.slice(0, 40)}"` };
  const issue = parsed.error.issues[0];
  return {
    invalid: `bad "${type}" frame: ${issue?.path.join('.') || '(frame)'} ${issue?.message ?? ''}`.trim(),
  };
}
