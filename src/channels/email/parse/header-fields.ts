/**
 * Header-style fields outside the mail's own header: the groups of a `message/delivery-status` part
 * and the header section of a returned message. Keys are lower case; continuation lines are unfolded;
 * a repeated field keeps its first value.
 */
export type Fields = ReadonlyMap<string, string>;

export function parseFields(block: string): Fields {
  const fields = new Map<string, string>();
  let last: string | undefined;
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line)) {
      if (last !== undefined) fields.set(last, `${fields.get(last) ?? ''} ${line.trim()}`.trim());
      continue;
    }
    const colon = line.indexOf(':');
    const key = colon > 0 ? line.slice(0, colon).trim().toLowerCase() : '';
    last = key !== '' && !fields.has(key) ? key : undefined;
    if (last !== undefined) fields.set(last, line.slice(colon + 1).trim());
  }
  return fields;
}

/** RFC 3464: per-message fields, then one group per recipient, separated by blank lines. */
export function fieldGroups(text: string): Fields[] {
  return text
    .split(/\r?\n[ \t]*\r?\n/)
    .map(parseFields)
    .filter((fields) => fields.size > 0);
}

/** The header section of a message: everything before its first blank line. */
export function headerSection(message: string): Fields {
  return parseFields(message.split(/\r?\n[ \t]*\r?\n/, 1)[0] ?? '');
}
