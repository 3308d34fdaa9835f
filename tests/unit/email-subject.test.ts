import { normalizeSubject, replySubject } from '../../src/channels/email/parse';
import { isForwardSubject } from '../../src/channels/email/parse/subject';

describe('normalizeSubject', () => {
  it.each([
    ['Hello', 'hello'],
    ['Re: Hello', 'hello'],
    ['RE: Hello', 'hello'],
    ['re:Hello', 'hello'],
    ['Aw: Hello', 'hello'],
    ['AW: Hello', 'hello'],
    ['Antw: Hello', 'hello'],
    ['Fwd: Hello', 'hello'],
    ['FW: Hello', 'hello'],
    ['Fw: Hello', 'hello'],
    ['WG: Hello', 'hello'],
    ['TR: Hello', 'hello'],
    ['Réf : Hello', 'hello'],
    ['SV: Hello', 'hello'],
    ['RE[2]: Hello', 'hello'],
    ['Re^2: Hello', 'hello'],
    ['Re(2): Hello', 'hello'],
    ['Re : Hello', 'hello'],
    ['Re： Hello', 'hello'],
    ['Re: AW: Fwd: Hello', 'hello'],
    ['RE: RE: RE[3]: WG: TR: Hello', 'hello'],
    ['  Re:   Hello    world  ', 'hello world'],
    ['Re: [EXTERNAL] Re: Hello', '[external] re: hello'],
    ['[ticket 42] Hello', '[ticket 42] hello'],
    ['Regarding: Hello', 'regarding: hello'],
    ['Ref: 1042', 'ref: 1042'],
    ['Rechnung für Bestellung 1042', 'rechnung für bestellung 1042'],
    ['Re: Äpfel', 'äpfel'],
    ['', ''],
    ['Re:', ''],
    ['Re: (no subject)', ''],
  ])('%j → %j', (subject, normalized) => {
    expect(normalizeSubject(subject)).toBe(normalized);
  });

  it('makes a reply and the mail it answers compare equal', () => {
    expect(normalizeSubject(replySubject('AW: Rechnung  für Bestellung'))).toBe(normalizeSubject('Rechnung für Bestellung'));
  });
});

describe('replySubject', () => {
  it.each([
    ['Hello', 'Re: Hello'],
    ['Re: Hello', 'Re: Hello'],
    ['RE: AW: Fwd: Invoice 1042', 'Re: Invoice 1042'],
    ['RE[2]:  Invoice   1042 ', 'Re: Invoice 1042'],
    ['[EXTERNAL] Invoice', 'Re: [EXTERNAL] Invoice'],
    ['', 'Re: (no subject)'],
    ['   ', 'Re: (no subject)'],
    ['Re:', 'Re: (no subject)'],
  ])('%j → %j', (subject, reply) => {
    expect(replySubject(subject)).toBe(reply);
  });
});

describe('isForwardSubject', () => {
  it.each(['Fwd: x', 'FW: x', 'Fw:x', 'WG: x', 'TR: x'])('%j forwards', (subject) => expect(isForwardSubject(subject)).toBe(true));
  it.each(['Re: Fwd: x', 'Forward planning', 'x'])('%j does not', (subject) => expect(isForwardSubject(subject)).toBe(false));
});
