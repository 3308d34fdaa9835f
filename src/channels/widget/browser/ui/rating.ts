import type { RatingInput, WidgetConversation } from '../../protocol';
import type { Chat } from '../chat';
import { h, on } from '../dom';
import { fill, type Strings } from '../i18n';
import { alertLine } from './forms';

/** "Email me the transcript", where the hub can: it says where the mail goes once asked, or what went wrong. */
function emailButton(chat: Chat, conversation: WidgetConversation, t: Strings, error: HTMLElement, describe: (error: unknown) => string): HTMLElement[] {
  if (!conversation.emailTranscript) return [];
  const status = h('p', { role: 'status' });
  const button = h('button', { type: 'button', class: 'link' }, t.emailTranscript);
  on(button, 'click', () => {
    error.textContent = '';
    chat
      .emailTranscript(conversation.id)
      .then((email) => (status.textContent = fill(t.transcriptEmailed, { email })))
      .catch((failure: unknown) => (error.textContent = describe(failure)));
  });
  return [button, status];
}

/**
 * Shown once the conversation is resolved: a 1–5 rating with an optional comment (until rated), and the
 * transcript as a download (and by email, where the hub can). The transcript needs the visitor's
 * token, so it is fetched and handed to the browser as a file rather than linked.
 */
export function ratingCard(chat: Chat, conversation: WidgetConversation, t: Strings, describe: (error: unknown) => string): HTMLElement {
  const error = alertLine();
  const transcript = h('button', { type: 'button', class: 'link' }, t.transcript);
  const email = emailButton(chat, conversation, t, error, describe);
  on(transcript, 'click', () => {
    chat
      .transcript(conversation.id)
      .then((blob) => {
        const url = URL.createObjectURL(blob);
        h('a', { href: url, download: `transcript-${conversation.id}.html` }).click();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
      })
      .catch((failure: unknown) => (error.textContent = describe(failure)));
  });
  if (conversation.rating) return h('section', { class: 'card' }, h('p', {}, t.rated), transcript, ...email, error);

  let score = 0;
  const stars = [1, 2, 3, 4, 5].map((value) => {
    const star = h('button', { type: 'button', 'aria-label': fill(t.stars, { n: value }), 'aria-pressed': 'false' }, '★');
    on(star, 'click', () => {
      score = value;
      // Pressed is the chosen score alone; the stars up to it are lit, as a row of stars reads.
      stars.forEach((other, index) => {
        other.setAttribute('aria-pressed', String(index + 1 === value));
        other.classList.toggle('on', index < value);
      });
    });
    return star;
  });
  const comment = h('textarea', { 'aria-label': t.comment, placeholder: t.comment, rows: '2' });
  const submit = h('button', { type: 'button' }, t.rate);
  // Busy rather than disabled: a disabled button drops the keyboard focus on the floor.
  let busy = false;
  on(submit, 'click', () => {
    if (busy || !score) return;
    busy = true;
    const input: RatingInput = { score: score as RatingInput['score'], comment: comment.value.trim() || undefined };
    chat
      .rate(conversation, input)
      .catch((failure: unknown) => (error.textContent = describe(failure)))
      .finally(() => (busy = false));
  });
  return h('section', { class: 'card' }, h('p', {}, t.resolved), h('div', { class: 'stars', role: 'group', 'aria-label': t.resolved }, ...stars), comment, submit, error, transcript, ...email);
}
