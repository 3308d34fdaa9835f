import fc from 'fast-check';
import { canMoveDeliveryStatus } from '../../src/core/messages/delivery-status';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../../src/core/model/types';

/** Forward progress of an outbound message; failures end it. */
const RANK: Partial<Record<DeliveryStatus, number>> = { queued: 0, sent: 1, delivered: 2, read: 3 };

describe('canMoveDeliveryStatus', () => {
  it.each<[DeliveryStatus, DeliveryStatus]>([
    ['queued', 'sent'],
    ['queued', 'delivered'],
    ['queued', 'read'],
    ['sent', 'delivered'],
    ['sent', 'read'],
    ['delivered', 'read'],
    ['queued', 'failed'],
    ['sent', 'failed'],
    ['queued', 'undelivered'],
    ['sent', 'undelivered'],
  ])('moves %s → %s', (from, to) => {
    expect(canMoveDeliveryStatus(from, to)).toBe(true);
  });

  it.each<[DeliveryStatus, DeliveryStatus]>([
    // backwards
    ['sent', 'queued'],
    ['delivered', 'sent'],
    ['delivered', 'queued'],
    ['read', 'delivered'],
    ['read', 'sent'],
    // a receipt seen twice changes nothing
    ['queued', 'queued'],
    ['sent', 'sent'],
    ['delivered', 'delivered'],
    ['read', 'read'],
    // a failure reported after the customer got the message is stale
    ['delivered', 'failed'],
    ['read', 'failed'],
    ['delivered', 'undelivered'],
    ['read', 'undelivered'],
    // a failure is final
    ['failed', 'sent'],
    ['failed', 'delivered'],
    ['failed', 'read'],
    ['failed', 'queued'],
    ['failed', 'failed'],
    ['failed', 'undelivered'],
    ['undelivered', 'delivered'],
    ['undelivered', 'failed'],
    // inbound messages and private notes have no delivery to track
    ['received', 'sent'],
    ['received', 'failed'],
    ['internal', 'queued'],
    ['internal', 'sent'],
    ['internal', 'failed'],
    // nothing becomes inbound or a note
    ['queued', 'received'],
    ['queued', 'internal'],
    ['sent', 'internal'],
  ])('refuses %s → %s', (from, to) => {
    expect(canMoveDeliveryStatus(from, to)).toBe(false);
  });

  it('never lets any sequence of receipts move a message backwards or out of a failure', () => {
    const status = fc.constantFrom(...DELIVERY_STATUSES);
    fc.assert(
      fc.property(fc.array(status, { maxLength: 30 }), (receipts) => {
        let current: DeliveryStatus = 'queued';
        for (const next of receipts) {
          if (!canMoveDeliveryStatus(current, next)) continue;
          const before = current;
          current = next;
          if (before === 'failed' || before === 'undelivered') return false;
          const fromRank = RANK[before] ?? -1;
          const toRank = RANK[current];
          if (toRank !== undefined ? toRank <= fromRank : fromRank > (RANK.sent ?? 1)) return false;
          if (current === 'received' || current === 'internal' || current === 'queued') return false;
        }
        return true;
      }),
    );
  });
});
