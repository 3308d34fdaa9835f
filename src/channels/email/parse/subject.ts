/**
 * Reply and forward prefixes as mail clients write them in English, German, French and the Nordic
 * languages, with the counters some add (`RE[2]:`, `Re^2:`, `Re(2):`) and the full-width colon of CJK
 * clients. Bracketed tags such as `[EXTERNAL]` are part of the subject, not a prefix: they stay.
 */
const PREFIX = /^(?:re|aw|antw|fwd?|wg|tr|réf|sv|vs)\s*(?:\[\d+\]|\^\d+|\(\d+\))?\s*[:：]\s*/i;

/** What the hub writes for a mail without a subject, and reads back as none. */
export const NO_SUBJECT = '(no subject)';

function withoutPrefixes(subject: string): string {
  let rest = subject.replace(/\s+/g, ' ').trim();
  for (let match = PREFIX.exec(rest); match; match = PREFIX.exec(rest)) rest = rest.slice(match[0].length);
  return rest;
}

/** The subject as threading compares it: `Re: AW: Fwd:  Hello` and `hello` are the same conversation. */
export function normalizeSubject(subject: string): string {
  const rest = withoutPrefixes(subject).toLowerCase();
  return rest === NO_SUBJECT ? '' : rest;
}

/** The subject of the hub's answer: one `Re:` before the original's words, their case kept. */
export function replySubject(subject: string): string {
  return `Re: ${withoutPrefixes(subject) || NO_SUBJECT}`;
}

/** A subject that says the mail forwards another (`Fwd:`, `FW:`, `WG:`, `TR:`). */
export function isForwardSubject(subject: string): boolean {
  return /^\s*(?:fwd?|wg|tr)\s*[:：]/i.test(subject);
}
