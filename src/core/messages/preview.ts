import type { Attachment } from '../model/types';

const PREVIEW_LENGTH = 200;

/** The one-line preview of a message shown in conversation lists. */
export function messagePreview(body: string, attachments: readonly Attachment[]): string {
  const text = body.replace(/\s+/g, ' ').trim();
  if (text) return text.length > PREVIEW_LENGTH ? `${text.slice(0, PREVIEW_LENGTH - 1)}…` : text;
  const first = attachments[0];
  return first ? `[attachment: ${first.name ?? first.contentType ?? 'file'}]` : '';
}
