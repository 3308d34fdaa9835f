/**
 * Which page origins may use a website's widget. An entry is an exact origin (`https://shop.example.com`,
 * `http://localhost:3000`) or a wildcard for subdomains (`https://*.example.com`, which does not match
 * `https://example.com` itself).
 */

/** The origin of an absolute http(s) URL, lower-cased (`https://Shop.example.com/x` → `https://shop.example.com`); else undefined. */
export function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
    return parsed.origin.toLowerCase();
  } catch {
    return undefined;
  }
}

/** An allowed-origins entry as stored: normalized, or undefined when it is not one (with a path, say). */
export function normalizeAllowedOrigin(entry: string): string | undefined {
  const wildcard = /^(https?):\/\/\*\.([^/]+)$/i.exec(entry.trim());
  if (wildcard) {
    const host = originOf(`${wildcard[1] ?? ''}://${wildcard[2] ?? ''}`);
    return host ? host.replace('://', '://*.') : undefined;
  }
  const origin = originOf(entry.trim());
  return origin && origin === entry.trim().toLowerCase().replace(/\/$/, '') ? origin : undefined;
}

export function isAllowedOrigin(allowedOrigins: readonly string[], origin: string | undefined): boolean {
  if (!origin) return false;
  const normalized = originOf(origin);
  if (!normalized) return false;
  return allowedOrigins.some((entry) => {
    if (!entry.includes('://*.')) return entry === normalized;
    const [scheme, suffix] = entry.split('://*.') as [string, string];
    return normalized.startsWith(`${scheme}://`) && normalized.endsWith(`.${suffix}`) && normalized.length > `${scheme}://.${suffix}`.length;
  });
}
