// Frames a hub may send under protocol v1 (docs/protocol.md), and the one parser that reads them.
// Objects are not strict: a newer hub may add fields, and receivers ignore what they do not know.
import { z } from 'zod';
import { parseFrame } from '../events/wire.js';

export { protocolVersion, subprotocol } from '../events/wire.js';

const seq = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const frameId = z.string().min(1).max(128);
const errorBody = z.object({ code: z.string().min(1).max(128), message: z.string().max(4096) });

export const helloFrame = z.object({
  type: z.literal('hello'),
  protocol: z.number(),
  hubId: z.string().min(1).max(128),
  storeId: z.string().min(1).max(128),
  version: z.string().max(128),
});

export const eventFrame = z.object({
  type: z.literal('event'),
  seq,
  id: frameId,
  time: z.iso.datetime({ offset: true }),
  kind: z.string().min(1).max(128),
  data: z.record(z.string(), z.unknown()),
});

export const requestFrame = z.object({
  type: z.literal('request'),
  id: frameId,
  method: z.string().min(1).max(128),
  params: z.unknown().optional(),
});

export const commandResultFrame = z.union([
  z.object({
    type: z.literal('command.result'),
    id: frameId,
    ok: z.literal(true),
    result: z.unknown().optional(),
  }),
  z.object({ type: z.literal('command.result'), id: frameId, ok: z.literal(false), error: errorBody }),
]);

export type HelloFrame = z.output<typeof helloFrame>;
export type EventFrame = z.output<typeof eventFrame>;
export type RequestFrame = z.output<typeof requestFrame>;
export type CommandResultFrame = z.output<typeof commandResultFrame>;
export type HubFrame = HelloFrame | EventFrame | RequestFrame | CommandResultFrame;

const byType: Record<HubFrame['type'], z.ZodType<HubFrame>> = {
  hello: helloFrame,
  event: eventFrame,
  request: requestFrame,
  'command.result': commandResultFrame,
};

/** Parses one text frame from a hub; returns the frame or why it is invalid. */
export function parseHubFrame(text: string): { frame: HubFrame } | { invalid: string } {
  return parseFrame(text, byType);
}
