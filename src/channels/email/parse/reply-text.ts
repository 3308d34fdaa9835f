import EmailReplyParser from 'email-reply-parser';
import { attributionAt, isForwardMarker, isHistoryStartAt, isQuoted, isSignatureStart, nextFilled } from './quote-patterns';

const replyParser = new EmailReplyParser();

/**
 * email-reply-parser's regexes cost more than linear time in the text's length; past this, the
 * channel's own pass alone decides (a pasted log, not a reply someone typed).
 */
const REPLY_PARSER_LIMIT = 32_000;

export interface NewTextOptions {
  /**
   * The subject says the mail forwards another. Outlook introduces a forwarded mail exactly as a
   * quoted one, so its header block then starts content to keep, not history to drop.
   */
  forwarded?: boolean;
}

interface Scan {
  /** The sender's own lines, quoted history left out. */
  own: string[];
  /** Where the forwarded mail the sender wrote above starts, kept whole. */
  forwardedFrom?: number;
}

function quoteEnd(lines: readonly string[], start: number): number {
  let at = start;
  while (at < lines.length && (isQuoted(lines[at] ?? '') || (lines[at] ?? '') === '')) at++;
  return at;
}

/**
 * Walks the mail top down. A quoted block under an attribution is skipped, so that text written
 * below it (bottom posting, inline answers) stays; history that is not `>`-prefixed (Outlook) ends the
 * sender's text.
 */
function scan(lines: readonly string[], forwarded: boolean): Scan {
  const own: string[] = [];
  let at = 0;
  while (at < lines.length) {
    const line = lines[at] ?? '';
    if (isForwardMarker(line)) return { own, forwardedFrom: at };
    const attribution = attributionAt(lines, at);
    if (attribution > 0) {
      const quoteStart = nextFilled(lines, at + attribution);
      if (quoteStart >= lines.length || !isQuoted(lines[quoteStart] ?? '')) return { own };
      own.push('');
      at = quoteEnd(lines, quoteStart);
      continue;
    }
    if (isHistoryStartAt(lines, at)) return forwarded ? { own, forwardedFrom: at } : { own };
    if (!isQuoted(line)) own.push(line);
    at++;
  }
  return { own };
}

function withoutSignature(lines: readonly string[]): readonly string[] {
  const at = lines.findIndex(isSignatureStart);
  return at < 0 ? lines : lines.slice(0, at);
}

function tidy(text: string): string {
  return text.replace(/\n{3,}/g, '\n\n').trim();
}

/**
 * What the sender wrote this time: quoted history and signatures removed, first by the quoting forms
 * of Gmail, Outlook, Apple Mail and Thunderbird, then by email-reply-parser for the forms of other
 * clients and languages. A forwarded mail is the new content and is kept. A mail that is nothing but
 * quote keeps its whole text, since an empty message would say less.
 */
export function newText(text: string, options: NewTextOptions = {}): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n').map((line) => line.trimEnd());
  const { own, forwardedFrom } = scan(lines, options.forwarded ?? false);
  const ownText = tidy(withoutSignature(own).join('\n'));
  const reply = ownText.length > REPLY_PARSER_LIMIT ? ownText : ownText && (tidy(replyParser.parseReply(ownText)) || ownText);
  const forwardedText = forwardedFrom === undefined ? '' : tidy(lines.slice(forwardedFrom).join('\n'));
  return [reply, forwardedText].filter((part) => part !== '').join('\n\n') || tidy(lines.join('\n'));
}
