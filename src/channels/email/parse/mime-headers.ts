import { createHash } from 'node:crypto';
import type { HeaderLines, Headers, StructuredHeader } from 'mailparser';
import { normalizeMessageId } from '../mail';

/** A plain header's values, in order; structured ones (addresses, dates, Content-Type) give none. */
export function headerTexts(headers: Headers, name: string): string[] {
  const value = headers.get(name);
  const values: unknown[] = Array.isArray(value) ? value : [value];
  return values.filter((item): item is string => typeof item === 'string').map((item) => item.trim());
}

function isStructured(value: unknown): value is StructuredHeader {
  return typeof value === 'object' && value !== null && typeof (value as { value?: unknown }).value === 'string' && typeof (value as { params?: unknown }).params === 'object';
}

/** A header mailparser parses into value and parameters (Content-Type). */
export function structuredHeader(headers: Headers, name: string): StructuredHeader | undefined {
  const value: unknown = headers.get(name);
  return isStructured(value) ? value : undefined;
}

/** A plain header's first value. */
export function headerText(headers: Headers, name: string): string | undefined {
  return headerTexts(headers, name)[0];
}

/** Unique normalized ids from `In-Reply-To` / `References`: bracketed ones, else whatever the words are. */
export function messageIdList(value: string | readonly string[] | undefined): string[] {
  const text = typeof value === 'string' ? value : (value ?? []).join(' ');
  const ids = text.match(/<[^<>]+>/g) ?? text.split(/[\s,]+/);
  return [...new Set(ids.map(normalizeMessageId).filter((id) => id !== ''))];
}

/** The mail's own id; one that sent none gets a digest of its bytes, so a redelivery is still the same mail. */
export function ownMessageId(declared: string | undefined, raw: Buffer): string {
  const id = normalizeMessageId(declared ?? '');
  return id !== '' ? id : `${createHash('sha256').update(raw).digest('hex').slice(0, 32)}@missing-message-id`;
}

/** The first raw value of a header, unfolded, from mailparser's header lines. */
export function rawHeader(lines: HeaderLines, name: string): string | undefined {
  const line = lines.find((entry) => entry.key === name)?.line;
  return line?.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
}

/** The Date header when it says a date: mailparser puts the current time in for one it can not read. */
export function dateOf(lines: HeaderLines): Date | undefined {
  const raw = rawHeader(lines, 'date');
  const date = raw === undefined ? undefined : new Date(raw);
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}
