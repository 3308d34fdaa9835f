import { InvalidTransitionError } from '../errors';
import type { ConversationStatus } from '../model/types';

/** Where each status may go. A resolved conversation must be reopened before it is parked again. */
const ALLOWED: Record<ConversationStatus, readonly ConversationStatus[]> = {
  open: ['pending', 'snoozed', 'resolved'],
  pending: ['open', 'snoozed', 'resolved'],
  snoozed: ['open', 'pending', 'resolved', 'snoozed'],
  resolved: ['open'],
};

export function assertTransition(from: ConversationStatus, to: ConversationStatus): void {
  if (from === to && to !== 'snoozed') return;
  const allowed = ALLOWED[from];
  if (!allowed.includes(to)) {
    throw new InvalidTransitionError(`A ${from} conversation cannot become ${to}${from === 'resolved' ? '; reopen it first (status "open")' : ''}.`, {
      path: 'status',
      message: `a ${from} conversation can become ${allowed.join(', ')}`,
      code: 'invalid_transition',
      allowed,
    });
  }
}
