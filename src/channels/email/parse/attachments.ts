import type { Attachment } from 'mailparser';
import type { ParsedAttachment } from '../mail';
import { normalizeMessageId } from '../mail';

const EXTENSIONS: Readonly<Record<string, string>> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'application/pdf': 'pdf',
  'text/plain': 'txt',
  'text/html': 'html',
  'text/calendar': 'ics',
  'text/rfc822-headers': 'txt',
  'message/rfc822': 'eml',
  'message/delivery-status': 'txt',
};

/** The last path segment of a declared name, without control characters: a name, never a path. */
function cleanName(filename: string | undefined): string {
  const base = (filename ?? '').split(/[\\/]/).pop() ?? '';
  return base.replace(/\p{Cc}/gu, '').trim();
}

/**
 * Every attachment and inline image, in the mail's order. Unnamed parts are called `image-1.png`,
 * `attachment-1.pdf`, ... An image is inline when the HTML shows it (`cid:`) or its disposition says
 * inline; other inline parts stay attachments, since Apple Mail sends PDFs and the like as inline too.
 */
export function attachmentsOf(attachments: readonly Attachment[], cids: ReadonlySet<string>): ParsedAttachment[] {
  const counters = new Map<string, number>();
  return attachments.map((attachment) => {
    const contentType = attachment.contentType.toLowerCase();
    const isImage = contentType.startsWith('image/');
    const contentId = attachment.contentId === undefined ? '' : normalizeMessageId(attachment.contentId);
    let filename = cleanName(attachment.filename);
    if (filename === '') {
      const base = isImage ? 'image' : 'attachment';
      const ordinal = (counters.get(base) ?? 0) + 1;
      counters.set(base, ordinal);
      filename = `${base}-${ordinal}.${EXTENSIONS[contentType] ?? 'bin'}`;
    }
    const inline = (contentId !== '' && cids.has(contentId)) || (isImage && attachment.contentDisposition === 'inline');
    return { filename, contentType, content: attachment.content, ...(contentId !== '' && { contentId }), inline };
  });
}
