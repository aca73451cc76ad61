// Answers to the hub's requests. The reference policy is deliberately simple: everyone may enter
// except a credential on the deny list, so demos and tests can exercise both answers.
import { z } from 'zod';
import type { RequestFrame } from './frames.js';

export type Response =
  | { type: 'response'; id: string; result: unknown }
  | { type: 'response'; id: string; error: { code: string; message: string } };

export const entryAuthorizeParams = z.object({
  gateId: z.string().min(1).max(128),
  credentialKind: z.enum(['qr', 'palm']),
  credentialRef: z.string().min(1).max(1024),
  partySize: z.number().int().min(1).max(100).optional(),
});

export interface EntryPolicy {
  denyCredentials: ReadonlySet<string>;
}

/** Answers one request frame; never throws. `summary` is a line for the live print (no credential in it). */
export function answerRequest(
  frame: RequestFrame,
  policy: EntryPolicy,
): { response: Response; summary: string } {
  const { id, method } = frame;
  if (method !== 'entry.authorize') {
    return {
      response: {
        type: 'response',
        id,
        error: { code: 'unknown_method', message: `no method "${method.slice(0, 64)}"` },
      },
      summary: 'error unknown_method',
    };
  }
  const params = entryAuthorizeParams.safeParse(frame.params);
  if (!params.success) {
    const issue = params.error.issues[0];
    const message = `params.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`;
    return {
      response: { type: 'response', id, error: { code: 'bad_request', message } },
      summary: 'error bad_request',
    };
  }
  const { gateId, credentialKind, credentialRef, partySize = 1 } = params.data;
  if (policy.denyCredentials.has(credentialRef)) {
    const reason = 'credential is on the deny list';
    return {
      response: { type: 'response', id, result: { allow: false, reason } },
      summary: `gate ${gateId} ${credentialKind}: deny (${reason})`,
    };
  }
  return {
    response: { type: 'response', id, result: { allow: true, partySize } },
    summary: `gate ${gateId} ${credentialKind}: allow, party of ${partySize}`,
  };
}
