import type { RawData } from 'ws';
import { z } from 'zod';
import type { ClientFrame, ServerFrame } from '../protocol';

const clientFrame = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('hello'), token: z.string().max(2048), after: z.uuid().optional() }),
  z.strictObject({ type: z.literal('typing'), typing: z.boolean() }),
  z.strictObject({ type: z.literal('received'), messageId: z.uuid() }),
  z.strictObject({ type: z.literal('read'), messageId: z.uuid() }),
  z.strictObject({ type: z.literal('ping') }),
]);

function textOf(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return (Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8');
}

/** A frame from the widget, or undefined when it is not one (binary, not JSON, unknown type, extra fields). */
export function parseClientFrame(data: RawData, isBinary: boolean): ClientFrame | undefined {
  if (isBinary) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(textOf(data));
  } catch {
    return undefined;
  }
  const parsed = clientFrame.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

export function encodeFrame(frame: ServerFrame): string {
  return JSON.stringify(frame);
}

/** Close codes the widget acts on: 4401 means "get a new token" (or say hello in time); the others mean "reconnect". */
export const CLOSE = {
  unauthorized: 4401,
  goingAway: 1001,
  policyViolation: 1008,
  internalError: 1011,
} as const;
