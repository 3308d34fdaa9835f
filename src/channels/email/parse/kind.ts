import type { MailKind } from '../mail';
import { bounceOf, type BounceInput } from './bounce';
import { headerText, rawHeader } from './mime-headers';

const AUTOMATIC_PRECEDENCE = new Set(['bulk', 'junk', 'auto_reply']);
const AUTORESPONDER_HEADERS = [
  ['x-autoreply', 'X-Autoreply'],
  ['x-autorespond', 'X-Autorespond'],
] as const;

function automatic(reason: string): MailKind {
  return { kind: 'automatic', reason };
}

/** `Announce <announce.lists.example.test>` → `announce.lists.example.test`. */
function listIdOf(input: BounceInput): string | undefined {
  const value = rawHeader(input.headerLines, 'list-id');
  if (value === undefined) return undefined;
  return (/<([^<>]+)>/.exec(value)?.[1] ?? value).trim().toLowerCase();
}

/**
 * What the mail is besides a customer writing. A bounce wins over the automatic headers that DSNs
 * often carry; a list's own headers win over the `Precedence: bulk` lists also set.
 */
export function kindOf(input: BounceInput): MailKind {
  const bounce = bounceOf(input);
  if (bounce) return bounce;
  const submitted = headerText(input.headers, 'auto-submitted');
  const submittedValue = submitted?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (submitted !== undefined && submittedValue !== '' && submittedValue !== 'no') return automatic(`Auto-Submitted: ${submitted}`);
  for (const [key, name] of AUTORESPONDER_HEADERS) {
    if (input.headers.has(key)) return automatic(`${name}: ${headerText(input.headers, key) ?? ''}`.trim());
  }
  const listId = listIdOf(input);
  if (listId !== undefined) return { kind: 'list', listId };
  const precedence = headerText(input.headers, 'precedence')?.toLowerCase();
  if (precedence === 'list') return { kind: 'list', listId: '' };
  if (precedence !== undefined && AUTOMATIC_PRECEDENCE.has(precedence)) return automatic(`Precedence: ${precedence}`);
  return { kind: 'message' };
}
