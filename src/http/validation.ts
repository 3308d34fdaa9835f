import type { z } from 'zod';
import { ValidationError, type ErrorIssue } from '../core/errors';

/** Parses request input with a zod schema; a failure is a 400 naming every failing field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = 'Request body'): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details = result.error.issues.flatMap((issue): ErrorIssue[] => {
    const at = issue.path.map(String);
    // An unknown field is named by its own path, like every other failing field.
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ path: [...at, key].join('.'), message: 'is not a known field', code: issue.code }));
    return [{ path: at.join('.') || '(root)', message: issue.message, code: issue.code }];
  });
  throw new ValidationError(`${what} is invalid: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
}
