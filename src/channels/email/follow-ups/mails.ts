import { escapeHtml } from '../../../core/html';
import type { Contact, Conversation } from '../../../core/model/types';
import type { MailAddress, OutgoingMail } from '../mail';

/** The five answers of the question, worst first, as the links say them. */
export const SCORES = [
  { score: 1, label: 'Very poor' },
  { score: 2, label: 'Poor' },
  { score: 3, label: 'Okay' },
  { score: 4, label: 'Good' },
  { score: 5, label: 'Excellent' },
] as const;

export interface MailParties {
  from: MailAddress;
  to: MailAddress;
  replyTo: MailAddress;
  messageId: string;
  /** Whom the customer talked to (the website, the inbox, the brand). */
  party: string;
}

/** The customer as the mail addresses them: their name, when the hub knows it. */
export function toCustomer(contact: Pick<Contact, 'name'>, address: string): MailAddress {
  return contact.name ? { address, name: contact.name } : { address };
}

function greeting(to: MailAddress): string {
  return to.name ? `Hello ${to.name},` : 'Hello,';
}

function about(conversation: Pick<Conversation, 'subject'>): string {
  return conversation.subject ? ` about "${conversation.subject}"` : '';
}

/** A plain-looking mail body: one column, system fonts, every text escaped. */
function htmlDocument(title: string, body: string): string {
  return [
    '<!DOCTYPE html>',
    `<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head>`,
    `<body style="font:15px/1.5 system-ui,sans-serif;color:#1a1a1a;max-width:36rem;margin:1.5rem auto;padding:0 1rem">${body}</body></html>`,
  ].join('\n');
}

export interface FollowUpMailInput extends MailParties {
  conversation: Pick<Conversation, 'subject'>;
  /** The link of each score, 1 to 5. */
  ratingUrl: (score: number) => string;
  unsubscribeUrl: string;
}

/** The question after resolution: five one-click answers, then the unsubscribe link. */
export function followUpMail(input: FollowUpMailInput): OutgoingMail {
  const subject = `How did we do? Your conversation with ${input.party}`;
  const question = `Your conversation with ${input.party}${about(input.conversation)} was resolved. How did we do?`;
  const text = [
    greeting(input.to),
    '',
    question,
    '',
    ...SCORES.map(({ score, label }) => `  ${score} - ${label}: ${input.ratingUrl(score)}`),
    '',
    'One click records your answer; you can add a comment on the page it opens.',
    '',
    '--',
    `You get this because you talked to ${input.party}. No more emails like this: ${input.unsubscribeUrl}`,
    '',
  ].join('\n');
  const buttons = SCORES.map(
    ({ score, label }) =>
      `<a href="${escapeHtml(input.ratingUrl(score))}" style="display:inline-block;margin:0 .5rem .5rem 0;padding:.5rem .75rem;border:1px solid #2563eb;border-radius:6px;color:#2563eb;text-decoration:none">${score} · ${escapeHtml(label)}</a>`,
  ).join('');
  const html = htmlDocument(
    subject,
    [
      `<p>${escapeHtml(greeting(input.to))}</p>`,
      `<p>${escapeHtml(question)}</p>`,
      `<p>${buttons}</p>`,
      '<p>One click records your answer; you can add a comment on the page it opens.</p>',
      `<p style="color:#555;font-size:.85em">You get this because you talked to ${escapeHtml(input.party)}. <a href="${escapeHtml(input.unsubscribeUrl)}" style="color:#555">No more emails like this</a>.</p>`,
    ].join(''),
  );
  return { from: input.from, to: input.to, replyTo: input.replyTo, messageId: input.messageId, subject, text, html, automatic: { unsubscribeUrl: input.unsubscribeUrl } };
}

export interface TranscriptMailInput extends MailParties {
  conversation: Pick<Conversation, 'subject'>;
  /** The transcript page (renderTranscript) and its text (renderTranscriptText). */
  html: string;
  text: string;
  unsubscribeUrl: string;
}

/**
 * The transcript in the mail's body: the transcript page itself as the HTML part (it is self-contained,
 * styled inline and runs nothing), its text rendering as the text part, so any client shows it without
 * opening an attachment.
 */
export function transcriptMail(input: TranscriptMailInput): OutgoingMail {
  const subject = input.conversation.subject ? `Transcript: ${input.conversation.subject}` : `Your conversation with ${input.party}`;
  const text = [greeting(input.to), '', `Here is your conversation with ${input.party}${about(input.conversation)}.`, '', input.text, '--', `No more emails like this: ${input.unsubscribeUrl}`, ''].join('\n');
  return { from: input.from, to: input.to, replyTo: input.replyTo, messageId: input.messageId, subject, text, html: input.html, automatic: { unsubscribeUrl: input.unsubscribeUrl } };
}
