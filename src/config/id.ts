// The shape of every id in the configuration: devices, boards, the hub and its store.
import { z } from 'zod';

export const id = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'an id of letters, digits, ".", "_" or "-" (at most 64)');
