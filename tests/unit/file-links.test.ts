import { randomBytes } from 'node:crypto';
import { FileLinks } from '../../src/core/files/links';
import { newFileKey } from '../../src/core/ports/file-storage';

/** Signed links to stored files: they open the file they were made for, until they expire, and nothing else. */

const TTL = 900;
const NOW = new Date('2030-01-01T12:00:00Z');

function parts(url: string): { path: string; key: string; expires: string; signature: string } {
  const parsed = new URL(url);
  return {
    path: parsed.pathname,
    key: decodeURIComponent(parsed.pathname.split('/').pop() ?? ''),
    expires: parsed.searchParams.get('expires') ?? '',
    signature: parsed.searchParams.get('signature') ?? '',
  };
}

describe('FileLinks', () => {
  const links = new FileLinks(randomBytes(32), 'https://hub.example.com/', TTL);
  const key = newFileKey();

  it('makes a link under PUBLIC_URL/files that expires after the TTL and verifies', () => {
    const url = links.signedUrl(key, NOW);
    expect(url.startsWith(`https://hub.example.com/files/${key}?expires=`)).toBe(true);
    const { expires, signature } = parts(url);
    expect(Number(expires)).toBe(NOW.getTime() / 1000 + TTL);
    expect(signature).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(links.verify(key, expires, signature, NOW)).toBe(true);
    expect(links.verify(key, expires, signature, new Date(NOW.getTime() + (TTL - 1) * 1000))).toBe(true);
  });

  it('refuses a link from its expiry on', () => {
    const { expires, signature } = parts(links.signedUrl(key, NOW));
    expect(links.verify(key, expires, signature, new Date(NOW.getTime() + TTL * 1000))).toBe(false);
    expect(links.verify(key, expires, signature, new Date(NOW.getTime() + 2 * TTL * 1000))).toBe(false);
  });

  it('refuses a link whose key, expiry or signature was changed', () => {
    const { expires, signature } = parts(links.signedUrl(key, NOW));
    expect(links.verify(newFileKey(), expires, signature, NOW)).toBe(false);
    expect(links.verify(key, String(Number(expires) + 3600), signature, NOW)).toBe(false);
    expect(links.verify(key, `0${expires}`, signature, NOW)).toBe(false);
    // Every single-character change of the signature, including the last character's spare bits.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (const index of [0, 21, signature.length - 1]) {
      for (const char of alphabet) {
        if (char === signature[index]) continue;
        const tampered = signature.slice(0, index) + char + signature.slice(index + 1);
        expect({ tampered, valid: links.verify(key, expires, tampered, NOW) }).toEqual({ tampered, valid: false });
      }
    }
    expect(links.verify(key, expires, `${signature}=`, NOW)).toBe(false);
    expect(links.verify(key, expires, Buffer.from(signature, 'base64url').toString('base64'), NOW)).toBe(false);
  });

  it('refuses empty, malformed and foreign values', () => {
    const { expires, signature } = parts(links.signedUrl(key, NOW));
    expect(links.verify(key, '', signature, NOW)).toBe(false);
    expect(links.verify(key, expires, '', NOW)).toBe(false);
    expect(links.verify(key, '1e12', signature, NOW)).toBe(false);
    expect(links.verify(key, `${expires}.0`, signature, NOW)).toBe(false);
    expect(links.verify('../../etc/passwd', expires, signature, NOW)).toBe(false);
    // Made with another secret (another hub), the same link is worthless here.
    const other = parts(new FileLinks(randomBytes(32), 'https://hub.example.com', TTL).signedUrl(key, NOW));
    expect(links.verify(key, other.expires, other.signature, NOW)).toBe(false);
  });

  it('signs a key that is not a file key, but never verifies it', () => {
    const { key: signedKey, expires, signature } = parts(links.signedUrl('../../etc/passwd', NOW));
    expect(signedKey).toBe('../../etc/passwd');
    expect(links.verify(signedKey, expires, signature, NOW)).toBe(false);
  });
});
