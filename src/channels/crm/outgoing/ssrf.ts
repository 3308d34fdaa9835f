import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { ValidationError } from '../../../core/errors';

/**
 * Addresses a webhook must never reach from the hub: its own host, the networks behind it and the
 * clouds' metadata services. Anything in them is refused unless private URLs are allowed.
 */
const REFUSED = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  REFUSED.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  // Unspecified, loopback and the deprecated IPv4-compatible form.
  ['::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  REFUSED.addSubnet(network, prefix, 'ipv6');
}

/** IPv6 forms that carry an IPv4 address (mapped, NAT64), which must be judged as that IPv4 address. */
const EMBEDDED_IPV4 = /^(?:::ffff:|64:ff9b::)(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i;

function embeddedIpv4(address: string): string | undefined {
  const match = EMBEDDED_IPV4.exec(address);
  if (!match) return undefined;
  if (match[1]) return match[1];
  const high = Number.parseInt(match[2] ?? '0', 16);
  const low = Number.parseInt(match[3] ?? '0', 16);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/** Whether a literal IP address is loopback, private, link-local, metadata or otherwise not public. */
export function isRefusedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return REFUSED.check(address, 'ipv4');
  if (family !== 6) return true;
  const ipv4 = embeddedIpv4(address);
  return ipv4 !== undefined ? REFUSED.check(ipv4, 'ipv4') : REFUSED.check(address, 'ipv6');
}

function refused(message: string, code: string): ValidationError {
  return new ValidationError(`The webhook URL is not allowed: ${message}.`, [{ path: 'url', message, code }]);
}

/**
 * Refuses a webhook URL the hub must not call: not http(s), or (unless `allowPrivate`) a host that is or
 * resolves to a refused address. Every address the name resolves to counts, since any may be the one used.
 */
export async function checkWebhookUrl(url: URL, allowPrivate: boolean): Promise<void> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refused('must be an http or https URL', 'invalid_protocol');
  if (allowPrivate) return;
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const addresses = isIP(host) ? [host] : await resolve(host);
  if (addresses.some(isRefusedAddress)) throw refused('resolves to a loopback, private, link-local or metadata address', 'private_address');
}

async function resolve(host: string): Promise<string[]> {
  try {
    return (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
  } catch {
    throw refused(`its host ${host} does not resolve`, 'unresolvable_host');
  }
}
