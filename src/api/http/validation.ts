import type { z } from 'zod';
import { ValidationError } from '../../core/errors';

/** Parses request input with a zod schema; a failure is a 400 naming every failing field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = 'Request body'): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
    code: issue.code,
  }));
  throw new ValidationError(`${what} is invalid: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
}
