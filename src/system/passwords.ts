// Technicians' passwords, kept in the configuration as scrypt hashes (node:crypto, RFC 7914):
// `scrypt$N$r$p$salt$hash`, salt and hash in base64url. `store-gateway hash-password` makes one.
// Checking takes the same time whether the account exists or not, so a login cannot find names.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** scrypt's cost: 2^15 × 8 × 128 bytes = 32 MiB and about 0.1 s on a small hub, per check. */
const COST = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
const MAX_MEMORY = 64 * 1024 * 1024;

/** The costs a hash may have: strong enough, and within the memory a check may take. */
export const passwordHashPattern =
  /^scrypt\$(16384|32768|65536)\$8\$[1-4]\$[A-Za-z0-9_-]{16,}\$[A-Za-z0-9_-]{32,}$/;

function derive(
  password: string,
  salt: Buffer,
  N: number,
  r: number,
  p: number,
  bytes: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, bytes, { N, r, p, maxmem: MAX_MEMORY }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** A new hash of `password`, for the configuration. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, COST.N, COST.r, COST.p, KEY_BYTES);
  return `scrypt$${COST.N}$${COST.r}$${COST.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Whether `password` is the one `hash` was made from; false for a hash it cannot read. */
export async function checkPassword(password: string, hash: string): Promise<boolean> {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4] as string, 'base64url');
  const expected = Buffer.from(parts[5] as string, 'base64url');
  try {
    const key = await derive(password, salt, N, r, p, expected.length);
    return timingSafeEqual(key, expected);
  } catch {
    return false;
  }
}

/** A hash no password matches, checked for unknown names so they take as long as known ones. */
export const decoyHash = `scrypt$${COST.N}$${COST.r}$${COST.p}$${Buffer.alloc(SALT_BYTES).toString('base64url')}$${Buffer.alloc(KEY_BYTES).toString('base64url')}`;
