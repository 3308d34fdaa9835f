import { createHash, createVerify, type KeyObject } from 'node:crypto';

/**
 * An independent DKIM check (RFC 6376, rsa-sha256 with relaxed/relaxed canonicalization, the only
 * form the hub signs with): the body hash and the signature over the signed headers, both recomputed
 * from the raw mail as a receiving server would.
 */
export interface DkimCheck {
  tags: Map<string, string>;
  bodyHashMatches: boolean;
  signatureValid: boolean;
}

export function verifyDkim(raw: Buffer, publicKey: KeyObject): DkimCheck {
  const text = raw.toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  const headerLines = unfoldedHeaders(text.slice(0, split + 2));
  const body = text.slice(split + 4);
  const signatureLine = headerLines.find((line) => nameOf(line) === 'dkim-signature');
  if (signatureLine === undefined) throw new Error('the mail has no DKIM-Signature header');
  const tags = tagsOf(signatureLine.slice(signatureLine.indexOf(':') + 1));
  if (tags.get('c') !== 'relaxed/relaxed' || tags.get('a') !== 'rsa-sha256') throw new Error(`unexpected DKIM algorithm: ${tags.get('a')} ${tags.get('c')}`);

  const bodyHash = createHash('sha256').update(relaxedBody(body), 'latin1').digest('base64');
  const remaining = [...headerLines];
  const signed: string[] = [];
  for (const name of (tags.get('h') ?? '').split(':').map((field) => field.trim().toLowerCase())) {
    // Several headers of one name are signed from the bottom up; a name with none left adds nothing.
    const index = remaining.map(nameOf).lastIndexOf(name);
    if (index === -1) continue;
    signed.push(relaxedHeader(remaining[index] ?? ''));
    remaining.splice(index, 1);
  }
  const emptied = relaxedHeader(signatureLine).replace(/(^|;)(\s*b=)[^;]*/, '$1$2');
  const verifier = createVerify('RSA-SHA256');
  verifier.update(signed.map((line) => `${line}\r\n`).join('') + emptied, 'latin1');
  const signature = Buffer.from((tags.get('b') ?? '').replace(/\s+/g, ''), 'base64');
  return { tags, bodyHashMatches: bodyHash === tags.get('bh'), signatureValid: verifier.verify(publicKey, signature) };
}

function unfoldedHeaders(block: string): string[] {
  return block
    .split(/\r\n(?![ \t])/)
    .filter((line) => line !== '')
    .map((line) => line.replace(/\r\n/g, ''));
}

function nameOf(line: string): string {
  return line.slice(0, line.indexOf(':')).trim().toLowerCase();
}

function tagsOf(value: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const part of value.split(';')) {
    const equals = part.indexOf('=');
    if (equals !== -1) tags.set(part.slice(0, equals).trim(), part.slice(equals + 1).replace(/\s+/g, ''));
  }
  return tags;
}

function relaxedHeader(line: string): string {
  const colon = line.indexOf(':');
  return `${line.slice(0, colon).trim().toLowerCase()}:${line.slice(colon + 1).replace(/[ \t]+/g, ' ').trim()}`;
}

function relaxedBody(body: string): string {
  const lines = body.split('\r\n').map((line) => line.replace(/[ \t]+/g, ' ').replace(/ $/, ''));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.length === 0 ? '' : `${lines.join('\r\n')}\r\n`;
}
