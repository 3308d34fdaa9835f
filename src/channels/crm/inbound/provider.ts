import type { Request } from 'express';
import type { ReceivedEvent } from './actions';

/**
 * One CRM's webhook format: how its requests are signed and what their events say. `verify` throws an
 * `unauthorized` AppError (forged, stale or unsigned), `read` a ValidationError (not JSON, not the shape).
 */
export interface InboundProvider {
  readonly name: string;
  verify(req: Request, raw: Buffer): void;
  read(req: Request, raw: Buffer): ReceivedEvent[];
}
