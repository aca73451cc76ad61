// Frames the cloud may send (protocol v1, docs/protocol.md). Anything else is invalid and dropped.
import { z } from 'zod';
import { parseFrame } from '../events/wire.js';

const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const frameId = z.string().min(1).max(128);
const cloudError = z.object({ code: z.string().max(128), message: z.string().max(4096) });

const welcome = z.object({ type: z.literal('welcome'), ackedSeq: seq });
const ack = z.object({ type: z.literal('ack'), seq });
const response = z.object({
  type: z.literal('response'),
  id: frameId,
  result: z.unknown().optional(),
  error: cloudError.optional(),
});
const command = z.object({
  type: z.literal('command'),
  id: frameId,
  name: z.string().min(1).max(128),
  args: z.record(z.string(), z.unknown()).default({}),
});

export type CloudFrame = z.output<typeof welcome | typeof ack | typeof response | typeof command>;
export type CommandFrame = z.output<typeof command>;

export type CommandOutcome =
  | { ok: true; result?: unknown }
  | { ok: false; error: { code: string; message: string } };

const byType: Record<CloudFrame['type'], z.ZodType<CloudFrame>> = { welcome, ack, response, command };

/** Parses one text frame from the cloud; returns the frame or why it is invalid. */
export function parseCloudFrame(text: string): { frame: CloudFrame } | { invalid: string } {
  return parseFrame(text, byType);
}
