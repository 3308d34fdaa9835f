import type { RequestHandler } from 'express';
import { AppError, ValidationError } from '../core/errors';

/**
 * Checks every request makes before any route reads it, so that no handler meets text it cannot store
 * or decode. PostgreSQL's text and JSON types cannot hold NUL, and UTF-8 cannot hold a lone surrogate:
 * both are refused on every engine, so that SQLite and PostgreSQL answer alike.
 */

/** Deeper JSON than any request needs; deeper values would recurse through validation and storage. */
export const MAX_JSON_DEPTH = 32;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Text that has a NUL character or a lone surrogate half. */
export function isUnstorable(text: string): boolean {
  return text.includes('\u0000') || LONE_SURROGATE.test(text);
}

function decoded(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}


/**
 * The path and the query string, as sent: each must percent-decode to UTF-8 text without NUL. Express
 * would otherwise fail decoding a route's parameters (a 500), or hand handlers NUL it cannot store.
 */
export const requestLineGuard: RequestHandler = (req, _res, next) => {
  const at = req.url.indexOf('?');
  const path = at === -1 ? req.url : req.url.slice(0, at);
  const query = at === -1 ? '' : req.url.slice(at + 1);
  const pathText = decoded(path);
  if (pathText === undefined || isUnstorable(pathText)) {
    throw new AppError('validation', 'malformed_path', 'The request path has a malformed percent-escape, or encodes a NUL character: escapes must encode UTF-8 text.');
  }
  // Form encoding: `+` is a space; a name or value is checked alone, as the query parser reads it.
  const parts = query.split(/[&=]/).map((part) => decoded(part.replace(/\+/g, ' ')));
  if (parts.some((part) => part === undefined || isUnstorable(part))) {
    throw new AppError('validation', 'malformed_query', 'The query string has a malformed percent-escape, or encodes a NUL character: escapes must encode UTF-8 text.');
  }
  next();
};

interface Pending {
  value: unknown;
  path: string[];
}

/** The first place in a parsed JSON value that holds unstorable text (in a key or a string) or nests too deep. */
function firstUnreadable(root: unknown): { path: string; message: string; code: string } | undefined {
  // A loop with its own stack, not recursion: the value may nest deeper than the call stack allows.
  const stack: Pending[] = [{ value: root, path: [] }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { value, path } = item;
    const where = path.join('.') || '(root)';
    if (typeof value === 'string') {
      if (isUnstorable(value)) return { path: where, message: 'must not contain NUL characters or lone surrogates', code: 'invalid_characters' };
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (path.length >= MAX_JSON_DEPTH) return { path: where, message: `nests deeper than ${MAX_JSON_DEPTH} levels`, code: 'too_deep' };
    for (const [key, child] of Object.entries(value)) {
      if (isUnstorable(key)) return { path: [...path, key].join('.'), message: 'is a field name with NUL characters or lone surrogates', code: 'invalid_characters' };
      stack.push({ value: child, path: [...path, key] });
    }
  }
  return undefined;
}

/** After the JSON parser: a body with unstorable text or deeper nesting than MAX_JSON_DEPTH is a 400 naming the field. */
export const jsonBodyGuard: RequestHandler = (req, _res, next) => {
  if (Buffer.isBuffer(req.body)) {
    next();
    return;
  }
  const failing = firstUnreadable(req.body);
  if (failing) throw new ValidationError(`Request body is invalid: ${failing.path}: ${failing.message}`, [failing]);
  next();
};
