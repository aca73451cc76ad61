// Gate models from devices/: which lines a turnstile, swing gate or door has, how its lock is driven,
// its timings, and what its outputs do when the hub is gone. Data, so a new model is a new file.
import { z } from 'zod';
import { loadProfileFile } from '../profile-file.js';

const output = z.strictObject({
  activeLow: z.boolean().default(false).describe('Logical 1 is electrical low (most relay boards)'),
});

const input = z.strictObject({
  activeLow: z.boolean().default(false).describe('Logical 1 (beam broken, contact open) is electrical low'),
  debounceMs: z.number().int().min(0).max(1000).default(10).describe('Ignore changes shorter than this'),
});

const ms = (min: number, max: number) => z.number().int().min(min).max(max);

export const gateProfileSchema = z.strictObject({
  kind: z.enum(['turnstile', 'swing', 'door']),
  model: z.string().min(1),
  description: z.string().min(1),
  failMode: z
    .enum(['safe', 'secure'])
    .describe('safe: unlocked when the hub is gone (egress first); secure: locked when the hub is gone'),
  outputs: z.strictObject({
    unlock: output.describe('The lock relay or the motor controller\'s "open" command; 1 = open'),
    green: output.optional(),
    red: output.optional(),
    buzzer: output.optional(),
  }),
  inputs: z.strictObject({
    beamOuter: input.describe('The beam on the street side; 1 = broken'),
    beamInner: input.describe('The beam on the shop side; 1 = broken'),
    position: input.optional().describe('Door or arm contact; 1 = away from rest (open)'),
    exitRequest: input.optional().describe('Request-to-exit button; 1 = pressed'),
    fireAlarm: input.optional().describe("The fire panel's relay; 1 = alarm"),
    tamper: input.optional().describe('Cabinet or reader tamper switch; 1 = tampered'),
  }),
  unlock: z.strictObject({
    mode: z
      .enum(['hold', 'pulse'])
      .describe('hold: the output stays 1 while the gate is open; pulse: one pulse lets one person through'),
    pulseMs: ms(10, 5000).default(200),
  }),
  egress: z
    .enum(['free', 'request'])
    .describe('At an exit: free = always open outward; request = the request-to-exit button opens it'),
  timing: z.strictObject({
    authoriseTimeoutMs: ms(100, 30_000).describe('One credential holds the gate at most this long'),
    entryWindowMs: ms(500, 60_000).describe('Open this long for the next person of the party'),
    passageTimeoutMs: ms(500, 60_000).describe('A passage not completed in this time was abandoned'),
    relockDelayMs: ms(0, 10_000).describe('After the last person, stay open this long before locking'),
    heldOpenMs: ms(1000, 600_000).describe('Open longer than this raises held_open'),
    beamStuckMs: ms(1000, 3_600_000).describe('A beam broken longer than this is an input fault'),
    denyFeedbackMs: ms(0, 10_000).describe('Red light and buzzer after a refusal'),
  }),
});

export type GateProfile = z.output<typeof gateProfileSchema>;
export type GateLineName = keyof GateProfile['outputs'] | keyof GateProfile['inputs'];

/** Every line a gate model can have, outputs first: the names a configuration may wire. */
export const gateLineNames = [
  ...Object.keys(gateProfileSchema.shape.outputs.shape),
  ...Object.keys(gateProfileSchema.shape.inputs.shape),
] as [GateLineName, ...GateLineName[]];

/** Reads and validates a gate profile; throws an Error whose message is one line per problem. */
export function loadGateProfile(path: string): GateProfile {
  return loadProfileFile(path, gateProfileSchema);
}
