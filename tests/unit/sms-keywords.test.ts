import { keywordOf } from '../../src/channels/sms/inbound';
import { statusChangeOf } from '../../src/channels/sms/receipts';

const SID = `SM${'0'.repeat(32)}`;

describe('SMS keywords', () => {
  it.each(['STOP', 'stop', ' Stop. ', 'STOPALL', 'unsubscribe', 'Cancel!', 'END', 'quit', 'OPTOUT', 'revoke'])('%j opts out', (body) => {
    expect(keywordOf(body)).toEqual({ kind: 'consent', consent: 'opt_out' });
  });

  it.each(['START', 'yes', 'Unstop'])('%j opts back in', (body) => {
    expect(keywordOf(body)).toEqual({ kind: 'consent', consent: 'opt_in' });
  });

  it.each(['HELP', 'help!', 'Info'])('%j asks for help', (body) => {
    expect(keywordOf(body)).toEqual({ kind: 'help' });
  });

  it.each(['Please stop the order', 'STOP IT', 'stopp', 'yes please', '', 'HELP ME'])('%j is an ordinary message', (body) => {
    expect(keywordOf(body)).toBeUndefined();
  });
});

describe('Twilio statuses', () => {
  it('maps what Twilio reports onto delivery statuses, with the error code as the reason', () => {
    const of = (MessageStatus: Parameters<typeof statusChangeOf>[0]['MessageStatus'], ErrorCode?: string) => statusChangeOf({ MessageSid: SID, AccountSid: 'AC', MessageStatus, ErrorCode });
    expect(of('queued')).toBeUndefined();
    expect(of('sending')).toBeUndefined();
    expect(of('sent')).toEqual({ status: 'sent', externalId: SID });
    expect(of('delivered')).toEqual({ status: 'delivered', externalId: SID });
    expect(of('read')).toEqual({ status: 'read', externalId: SID });
    expect(of('undelivered', '30005')).toEqual({ status: 'undelivered', externalId: SID, reason: '30005: Unknown destination handset' });
    expect(of('failed', '30410')).toEqual({ status: 'failed', externalId: SID, reason: '30410: Twilio could not send the message' });
    expect(of('failed')).toEqual({ status: 'failed', externalId: SID, reason: 'Twilio could not send the message' });
  });
});
