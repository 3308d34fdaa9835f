import { z } from 'zod';

export const idParams = z.strictObject({ id: z.uuid().describe('The id') });

export const limit = z.coerce.number().int().min(1).max(100).default(25).describe('Items per page (1–100, default 25)');
export const cursor = z.string().max(200).optional().describe('The nextCursor of the previous page');
