/**
 * SMS segment counting as carriers do it, so tests can tell whether the hub reports (or bills) the
 * same number of parts Twilio would.
 */

// GSM 03.38 default alphabet (without ESC, which only introduces the extension table).
const GSM7_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
// Extension table: each costs ESC + the character, i.e. two septets.
const GSM7_EXTENDED = new Set('\f^{}\\[~]|€');

/** Septets per character, or null when some character is outside GSM-7 (the body then goes as UCS-2). */
function gsm7Costs(body: string): number[] | null {
  const costs: number[] = [];
  for (const char of body) {
    if (GSM7_BASIC.has(char)) costs.push(1);
    else if (GSM7_EXTENDED.has(char)) costs.push(2);
    else return null;
  }
  return costs;
}

/**
 * Units are never split across segments: an escape pair or a surrogate pair that does not fit in what
 * is left of a segment starts the next one, as real encoders (and Twilio's segment calculator) do.
 */
function pack(costs: number[], single: number, perSegment: number): number {
  const total = costs.reduce((sum, cost) => sum + cost, 0);
  if (total <= single) return 1;
  let segments = 1;
  let used = 0;
  for (const cost of costs) {
    if (used + cost > perSegment) {
      segments += 1;
      used = 0;
    }
    used += cost;
  }
  return segments;
}

/**
 * GSM-7: 160 septets in one segment, 153 per segment when concatenated (the rest is the UDH).
 * UCS-2: 70 UTF-16 code units in one segment, 67 per segment. An empty body counts as one segment,
 * as Twilio reports for media-only messages.
 */
export function countSegments(body: string): number {
  const gsm = gsm7Costs(body);
  if (gsm) return pack(gsm, 160, 153);
  return pack(
    Array.from(body, (char) => char.length),
    70,
    67,
  );
}
