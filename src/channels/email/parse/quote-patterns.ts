/**
 * The lines with which mail clients introduce quoted history, forwarded mail and signatures, in
 * English, German and French. Each is matched against one trimmed line.
 */

/**
 * Attribution lines: Gmail (`On Mon, 1 Dec 2026 at 10:00, Ada <ada@x> wrote:`, `Am Mo., 1. Dez. 2026
 * um 10:00 Uhr schrieb Ada <ada@x>:`, `Le lun. 1 déc. 2026 à 10:00, Ada <ada@x> a écrit :`), Apple Mail
 * (`On 1 Dec 2026, at 10:00, Ada <ada@x> wrote:`), Thunderbird (`On 01/12/2026 10:00, Ada wrote:`) and
 * the `Ada <ada@x> wrote:` / `schrieb:` some others write.
 */
const ATTRIBUTIONS: readonly RegExp[] = [
  /^On\s.+\s(?:wrote|writes)\s?:$/i,
  /^Am\s.+\sschrieb(?:\s.*)?:$/i,
  /^Le\s.+\sa\s+écrit\s?:$/i,
  /^.*<[^<>\s]+@[^<>\s]+>\s+(?:wrote|schrieb|a écrit)(?:\s.*)?\s?:$/i,
];

/** Gmail wraps a long attribution line over two; these begin the first of them. */
const ATTRIBUTION_START = /^(?:On|Am|Le)\s/i;

/** An attribution longer than this is a paragraph that happens to start with "On". */
const MAX_ATTRIBUTION = 300;

/** Outlook desktop's separator before the quoted mail. */
const ORIGINAL_MESSAGE = /^-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Originalnachricht|Message d'origine)\s*-{2,}$/i;

/** Outlook web's rule above the quoted mail's header block. */
const RULE = /^_{10,}$/;

/** The first and later fields of the header block Outlook writes above a quoted mail (`*From:*` once rendered from HTML). */
const BLOCK_FROM = /^\*?(?:From|Von|De)\s?:\*?\s*\S/i;
const BLOCK_DATE = /^\*?(?:Sent|Date|Gesendet|Datum|Envoyé)\s?:/i;
const BLOCK_OTHER = /^\*?(?:To|An|À|Cc|Subject|Betreff|Objet)\s?:/i;
const BLOCK_SPAN = 6;

/** Gmail, Apple Mail and Thunderbird start a forwarded mail with these. */
const FORWARD_MARKERS: readonly RegExp[] = [
  /^-{3,}\s*(?:Forwarded message|Forwarded Message|Weitergeleitete Nachricht|Message transféré)\s*-{3,}$/i,
  /^(?:Begin forwarded message|Anfang der weitergeleiteten Nachricht|Début du message réexpédié)\s?:$/i,
];

/** Signature separators, mobile signatures, and closing words, each starting what is no longer the message. */
const SIGNATURES: readonly RegExp[] = [
  /^--\s*$/,
  /^Sent from (?:my \S.*|Mail for Windows.*|Outlook.*|Yahoo Mail.*)$/i,
  /^Get Outlook for \S.*$/i,
  /^Von meinem \S.* gesendet$/i,
  /^Gesendet von (?:meinem \S.*|Outlook.*|Mail für Windows.*)$/i,
  /^Outlook für \S+ beziehen(?:\s*<[^<>]*>)?$/i,
  /^Envoyé (?:de mon|depuis mon|depuis) \S.*$/i,
  /^Télécharger Outlook pour \S.*$/i,
  /^(?:Mit )?(?:freundlichen|freundlichem|besten|herzlichen|lieben|vielen|viele|beste|liebe|freundliche|herzliche|schöne) (?:Grüßen?|Gruß)[,!.]?$/i,
];

export function isAttribution(line: string): boolean {
  return line.length <= MAX_ATTRIBUTION && ATTRIBUTIONS.some((pattern) => pattern.test(line));
}

/** How many lines (1 or 2) the attribution starting at `index` takes, or 0 when none starts there. */
export function attributionAt(lines: readonly string[], index: number): number {
  const line = (lines[index] ?? '').trim();
  if (isAttribution(line)) return 1;
  const next = lines[index + 1]?.trim();
  if (next && ATTRIBUTION_START.test(line) && isAttribution(`${line} ${next}`)) return 2;
  return 0;
}

/** The first line at or after `index` that is not blank. */
export function nextFilled(lines: readonly string[], index: number): number {
  let at = index;
  while (at < lines.length && (lines[at] ?? '').trim() === '') at++;
  return at;
}

/** Outlook's `From: … Sent: … To: … Subject:` block starts at `index`. */
export function isHeaderBlockAt(lines: readonly string[], index: number): boolean {
  if (!BLOCK_FROM.test((lines[index] ?? '').trim())) return false;
  const following = lines.slice(index + 1, index + 1 + BLOCK_SPAN).map((line) => line.trim());
  return following.some((line) => BLOCK_DATE.test(line)) && following.some((line) => BLOCK_OTHER.test(line));
}

/** A line below which Outlook put the quoted mail, unprefixed: everything from here on is history. */
export function isHistoryStartAt(lines: readonly string[], index: number): boolean {
  const line = (lines[index] ?? '').trim();
  if (ORIGINAL_MESSAGE.test(line)) return true;
  if (RULE.test(line)) return isHeaderBlockAt(lines, nextFilled(lines, index + 1));
  return isHeaderBlockAt(lines, index);
}

export function isForwardMarker(line: string): boolean {
  const trimmed = line.trim();
  return FORWARD_MARKERS.some((pattern) => pattern.test(trimmed));
}

export function isSignatureStart(line: string): boolean {
  const trimmed = line.trim();
  return SIGNATURES.some((pattern) => pattern.test(trimmed));
}

export function isQuoted(line: string): boolean {
  return /^\s*>/.test(line);
}
