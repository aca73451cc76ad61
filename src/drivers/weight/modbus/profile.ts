// A load-cell module model as devices/modbus-*.yaml describes it: where its readings live, how they
// are encoded, what its status bits and zero command are, and how to talk to it. Adding a supported
// module means adding such a file, not code.
import { parse } from 'yaml';
import { z } from 'zod';

const register = z.number().int().min(0).max(0xffff);
const readFunction = z
  .union([z.literal(3), z.literal(4)])
  .describe('3 = read holding registers, 4 = read input registers');
const bit = z.number().int().min(0).max(15);

/** Registers each value type takes. */
export const registersPerValue = { int16: 1, uint16: 1, int32: 2, uint32: 2, float32: 2 } as const;
export type ValueType = keyof typeof registersPerValue;

const registerMap = z.strictObject({
  function: readFunction,
  start: register.optional().describe("Register of channel 0 when the channels' registers follow each other"),
  addresses: z.array(register).optional().describe("Register of each channel's value, channel 0 first"),
  type: z.enum(Object.keys(registersPerValue) as [ValueType, ...ValueType[]]),
  wordOrder: z
    .enum(['big', 'little'])
    .default('big')
    .describe('32-bit values: "big" = high word first (ABCD), "little" = low word first (CDAB)'),
});

const statusRegister = z.strictObject({
  function: readFunction,
  register,
  overloadBits: z
    .array(bit)
    .min(1)
    .optional()
    .describe('Bits meaning "overload": one for the whole module or one per channel'),
  adcErrorBits: z
    .array(bit)
    .min(1)
    .optional()
    .describe('Bits meaning "ADC error": one for the whole module or one per channel'),
});

const zeroCommand = z.strictObject({
  register,
  value: z.number().int().min(0).max(0xffff),
  function: z
    .union([z.literal(6), z.literal(16)])
    .default(6)
    .describe('6 = write single register, 16 = write multiple registers (for modules that only take 0x10)'),
});

const serialDefaults = z.strictObject({
  baudRate: z.number().int().min(1200).max(921_600).default(9600),
  dataBits: z.literal(8).default(8).describe('RTU frames are always 8 data bits'),
  parity: z.enum(['none', 'even', 'odd']).default('none'),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
});

const timing = z.strictObject({
  responseTimeoutMs: z
    .number()
    .int()
    .min(5)
    .max(5000)
    .default(100)
    .describe("The module's longest think time; the time its bytes take on the wire is added"),
  retries: z
    .number()
    .int()
    .min(0)
    .max(5)
    .default(2)
    .describe('Attempts after the first before it counts as offline'),
});

export const modbusProfileSchema = z
  .strictObject({
    protocol: z.literal('modbus-rtu'),
    model: z.string().min(1).max(80),
    description: z.string().min(1).max(1000),
    channels: z.number().int().min(1).max(32).describe('Load-cell inputs (plates) of one module'),
    registers: registerMap,
    unit: z.enum(['grams', 'counts']).describe('Unit of a value once scaled'),
    scale: z
      .number()
      .refine((n) => Number.isFinite(n) && n !== 0, 'a finite number other than 0')
      .default(1)
      .describe('A reading is the register value times this'),
    range: z
      .strictObject({ min: z.number(), max: z.number() })
      .describe('Scaled readings outside this are a fault, delivered as NaN'),
    status: statusRegister.optional(),
    zero: zeroCommand.optional().describe('The register write that zeroes (tares) every channel'),
    serial: serialDefaults.prefault({}),
    timing: timing.prefault({}),
  })
  .superRefine((p, ctx) => {
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message });
    const { start, addresses, type } = p.registers;
    if ((start === undefined) === (addresses === undefined))
      issue(['registers'], 'give either start (contiguous channels) or addresses (one per channel)');
    if (addresses && addresses.length !== p.channels)
      issue(['registers', 'addresses'], `expected ${p.channels} addresses, one per channel`);
    if (start !== undefined && start + p.channels * registersPerValue[type] > 0x10000)
      issue(['registers', 'start'], 'the channels run past register 65535');
    if (!(p.range.min < p.range.max)) issue(['range'], 'min must be below max');
    for (const key of ['overloadBits', 'adcErrorBits'] as const) {
      const bits = p.status?.[key];
      if (bits && bits.length !== 1 && bits.length !== p.channels)
        issue(['status', key], `expected 1 bit (the whole module) or ${p.channels} (one per channel)`);
    }
  });

export type ModbusProfile = z.output<typeof modbusProfileSchema>;

/** Reads a profile from YAML text; throws an Error naming `source` and each bad key. */
export function parseModbusProfile(text: string, source: string): ModbusProfile {
  let raw: unknown;
  try {
    raw = parse(text, { prettyErrors: false, uniqueKeys: true });
  } catch (err) {
    throw new Error(`${source}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = modbusProfileSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${source}: ${i.path.join('.') || '(top)'}: ${i.message}`);
  throw new Error(`invalid Modbus profile:\n${problems.join('\n')}`);
}
