import { newText } from '../../src/channels/email/parse/reply-text';

const QUOTE = '> Hello,\n>\n> what is your order number?\n>\n> Grace';
const NEW = 'My order number is 1042.';

describe('quoted history', () => {
  it.each([
    ['Gmail, English', 'On Mon, 1 Dec 2026 at 10:00, Grace at Acme <support@example.test> wrote:'],
    ['Gmail, English, wrapped before "wrote:"', 'On Mon, 1 Dec 2026 at 10:00, Grace at Acme <support@example.test>\nwrote:'],
    ['Gmail, English, wrapped inside the address', 'On Mon, 1 Dec 2026 at 10:00, Grace at Acme <\nsupport@example.test> wrote:'],
    ['Gmail, German', 'Am Mo., 1. Dez. 2026 um 10:00 Uhr schrieb Grace at Acme <support@example.test>:'],
    ['Gmail, German, wrapped', 'Am Mo., 1. Dez. 2026 um 10:00 Uhr schrieb Grace at Acme <\nsupport@example.test>:'],
    ['Gmail, French', 'Le lun. 1 déc. 2026 à 10:00, Grace at Acme <support@example.test> a écrit :'],
    ['Gmail, French, non-breaking space before the colon', 'Le lun. 1 déc. 2026 à 10:00, Grace at Acme <support@example.test> a écrit\u00a0:'],
    ['Apple Mail, English', 'On 1 Dec 2026, at 10:00, Grace at Acme <support@example.test> wrote:'],
    ['Apple Mail, German', 'Am 01.12.2026 um 10:00 schrieb Grace at Acme <support@example.test>:'],
    ['Apple Mail, French', 'Le 1 déc. 2026 à 10:00, Grace at Acme <support@example.test> a écrit :'],
    ['Thunderbird, English', 'On 01/12/2026 10:00, Grace at Acme wrote:'],
    ['Thunderbird, German', 'Am 01.12.26 um 10:00 schrieb Grace at Acme:'],
    ['Thunderbird, French', 'Le 01/12/2026 à 10:00, Grace at Acme a écrit :'],
    ['name and address first', 'Grace at Acme <support@example.test> schrieb am 01.12.2026 um 10:00:'],
  ])('%s: the attribution and the > lines under it go', (_client, attribution) => {
    expect(newText(`${NEW}\n\n${attribution}\n${QUOTE}\n`)).toBe(NEW);
    expect(newText(`${NEW}\n\n${attribution}\n\n${QUOTE}\n`)).toBe(NEW);
  });

  it.each([
    ['Outlook desktop, English', '-----Original Message-----\nFrom: Grace at Acme <support@example.test>\nSent: Monday, December 1, 2026 10:00 AM\nTo: Ada <ada@example.com>\nSubject: RE: Order'],
    ['Outlook desktop, German', '-----Ursprüngliche Nachricht-----\nVon: Grace at Acme <support@example.test>\nGesendet: Montag, 1. Dezember 2026 10:00\nAn: Ada <ada@example.com>\nBetreff: AW: Bestellung'],
    ['Outlook desktop, French', "-----Message d'origine-----\nDe : Grace at Acme <support@example.test>\nEnvoyé : lundi 1 décembre 2026 10:00\nÀ : Ada <ada@example.com>\nObjet : RE: Commande"],
    ['Outlook desktop, header block only', 'From: Grace at Acme <support@example.test>\nSent: Monday, December 1, 2026 10:00 AM\nTo: Ada <ada@example.com>\nSubject: RE: Order'],
    ['Outlook desktop, German header block only', 'Von: Grace at Acme <support@example.test>\nGesendet: Montag, 1. Dezember 2026 10:00\nAn: Ada <ada@example.com>\nBetreff: AW: Bestellung'],
    ['Outlook desktop, French header block only', 'De : Grace at Acme <support@example.test>\nEnvoyé : lundi 1 décembre 2026 10:00\nÀ : Ada <ada@example.com>\nObjet : RE: Commande'],
    ['Outlook, the header block in bold from HTML', '*From:* Grace at Acme <support@example.test>\n*Sent:* Monday, December 1, 2026 10:00 AM\n*To:* Ada <ada@example.com>\n*Subject:* RE: Order'],
    ['Outlook on the web', '________________________________\nFrom: Grace at Acme <support@example.test>\nSent: Monday, December 1, 2026 10:00\nTo: Ada <ada@example.com>\nSubject: Re: Order'],
    ['Outlook on the web, German', '________________________________\n\nVon: Grace at Acme <support@example.test>\nGesendet: Montag, 1. Dezember 2026 10:00\nAn: Ada <ada@example.com>\nBetreff: AW: Bestellung'],
    ['Outlook on the web, French', '________________________________\nDe : Grace at Acme <support@example.test>\nEnvoyé : lundi 1 décembre 2026 10:00\nÀ : Ada <ada@example.com>\nObjet : RE: Commande'],
  ])('%s: everything from the separator on goes, unprefixed history included', (_client, header) => {
    expect(newText(`${NEW}\n\n${header}\n\nHello,\n\nwhat is your order number?\n\nGrace\n`)).toBe(NEW);
  });

  it('keeps what is written below the quote (bottom posting) and between quotes (inline answers)', () => {
    expect(newText(`On 01/12/2026 10:00, Grace at Acme wrote:\n${QUOTE}\n\n${NEW}\n`)).toBe(NEW);
    expect(newText('> What is your order number?\n1042\n\n> And the postcode?\nEC1A 1AA\n')).toBe('1042\n\nEC1A 1AA');
  });

  it('drops > lines that come without an attribution', () => {
    expect(newText(`${NEW}\n\n> earlier\n>> much earlier\n`)).toBe(NEW);
  });

  it('keeps lines that only mention a separator word', () => {
    const text = 'From: the shop\nSent: yesterday\nThe parcel never arrived.\n\nOn Monday I wrote to you already.';
    expect(newText(text)).toBe(text);
  });

  it('keeps the whole text of a mail that is nothing but quote', () => {
    const text = `On Mon, 1 Dec 2026 at 10:00, Grace at Acme <support@example.test> wrote:\n${QUOTE}`;
    expect(newText(`${text}\n`)).toBe(text);
    expect(newText('-----Original Message-----\nFrom: Grace <support@example.test>\nSent: Monday\nTo: Ada\nSubject: x\n\nHello')).toBe('-----Original Message-----\nFrom: Grace <support@example.test>\nSent: Monday\nTo: Ada\nSubject: x\n\nHello');
  });

  it('reads CRLF text and trims the result', () => {
    expect(newText(`\r\n\r\n  ${NEW}  \r\n\r\nOn 01/12/2026 10:00, Grace wrote:\r\n> hi\r\n`)).toBe(NEW);
  });
});

describe('signatures', () => {
  it.each([
    ['the "-- " separator', '-- \nAda Lovelace\nAnalytical Engines Ltd'],
    ['Sent from my iPhone', 'Sent from my iPhone'],
    ['Sent from my Galaxy', 'Sent from my Galaxy'],
    ['Von meinem iPhone gesendet', 'Von meinem iPhone gesendet'],
    ['Envoyé de mon iPhone', 'Envoyé de mon iPhone'],
    ['Get Outlook for iOS', 'Get Outlook for iOS<https://aka.ms/o0ukef>'],
    ['Get Outlook for Android', 'Get Outlook for Android'],
    ['Outlook für Android beziehen', 'Outlook für Android beziehen<https://aka.ms/AAb9ysg>'],
    ['Télécharger Outlook pour iOS', 'Télécharger Outlook pour iOS'],
    ['a German sign-off', 'Mit freundlichen Grüßen\nJürgen Müller'],
    ['a short German sign-off', 'Viele Grüße\nJürgen'],
    ['an English sign-off (email-reply-parser)', 'Kind regards,\nAda'],
    ['a French sign-off (email-reply-parser)', 'Cordialement,\nÉmilie'],
  ])('%s and what follows it go', (_name, signature) => {
    expect(newText(`${NEW}\n\n${signature}\n`)).toBe(NEW);
  });

  it('goes before the quote too', () => {
    expect(newText(`${NEW}\n\nSent from my iPhone\n\nOn 1 Dec 2026, at 10:00, Grace <support@example.test> wrote:\n${QUOTE}\n`)).toBe(NEW);
  });
});

describe('forwarded mail', () => {
  const FORWARDED = 'From: Parcel Service <noreply@carrier.example.com>\nDate: Sun, 30 Nov 2026 at 18:12\nSubject: Order 1042\nTo: <ada@example.com>\n\nYour parcel could not be delivered.';

  it.each([
    ['Gmail', '---------- Forwarded message ---------'],
    ['Gmail, German', '---------- Weitergeleitete Nachricht ---------'],
    ['Thunderbird', '-------- Forwarded Message --------'],
    ['Thunderbird, German', '-------- Weitergeleitete Nachricht --------'],
    ['Thunderbird, French', '-------- Message transféré --------'],
    ['Apple Mail', 'Begin forwarded message:'],
    ['Apple Mail, German', 'Anfang der weitergeleiteten Nachricht:'],
    ['Apple Mail, French', 'Début du message réexpédié :'],
  ])('%s: the forwarded mail is new content and stays whole', (_client, marker) => {
    expect(newText(`Can you help?\n\nSent from my iPhone\n\n${marker}\n\n${FORWARDED}\n`)).toBe(`Can you help?\n\n${marker}\n\n${FORWARDED}`);
  });

  it('keeps a forward that is all there is', () => {
    expect(newText(`Begin forwarded message:\n\n${FORWARDED}`)).toBe(`Begin forwarded message:\n\n${FORWARDED}`);
  });

  it("keeps Outlook's forwarded header block when the subject says forward, and drops it otherwise", () => {
    const text = `FYI\n\n________________________________\n${FORWARDED.replace('Date:', 'Sent:')}`;
    expect(newText(text, { forwarded: true })).toBe(text);
    expect(newText(text)).toBe('FYI');
  });

  it('ignores a forward inside the quoted history', () => {
    expect(newText(`${NEW}\n\nOn 01/12/2026 10:00, Grace wrote:\n> ---------- Forwarded message ---------\n> ${FORWARDED.split('\n').join('\n> ')}\n`)).toBe(NEW);
  });
});

describe('long text', () => {
  it('strips a very long mail in time that grows with its length, not faster', () => {
    const pasted = Array.from({ length: 16_000 }, (_, i) => `Op de markt Le marché Am Montag On Monday, W dniu From: x <y> De : z line ${i}`).join('\n');
    const started = process.cpuUsage();
    const body = newText(`${pasted}\n\nOn 01/12/2026 10:00, Grace wrote:\n${QUOTE}\n`);
    const used = process.cpuUsage(started);
    expect(body).toBe(pasted);
    expect((used.user + used.system) / 1000).toBeLessThan(1000);
  });
});
