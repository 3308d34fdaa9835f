import { lookup as dnsLookup } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { ValidationError } from '../../../core/errors';

/**
 * The SSRF guard of outgoing webhooks: an endpoint may not reach the hub's own host, its network or a
 * cloud's metadata service, unless WEBHOOK_ALLOW_PRIVATE_URLS says the receivers live there.
 */

const IPV4_REFUSED: readonly [string, number][] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, and the metadata service at 169.254.169.254
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and broadcast
];

const IPV6_REFUSED: readonly [string, number][] = [
  ['::', 128], // unspecified
  ['::1', 128],
  ['64:ff9b::', 96], // NAT64 of an IPv4 address, which may be private
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local, fd00::/8 among them
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

const refused = new BlockList();
for (const [network, prefix] of IPV4_REFUSED) refused.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of IPV6_REFUSED) refused.addSubnet(network, prefix, 'ipv6');

/** The IPv4 address an IPv4-mapped or -compatible IPv6 address carries (`::ffff:10.0.0.1`), if it is one. */
function embeddedIpv4(address: string): string | undefined {
  const dotted = /^(?:0*:)*(?:ffff:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted?.[1]) return dotted[1];
  const hex = /^(?:0*:)*ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex?.[1] || !hex[2]) return undefined;
  const high = parseInt(hex[1], 16);
  const low = parseInt(hex[2], 16);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/**
 * Whether an IP address is one an endpoint may not reach: loopback, private, carrier-grade NAT,
 * link-local (the metadata service), unique-local, multicast, reserved or unspecified, also when
 * written as an IPv4-mapped IPv6 address. A string that is no IP address counts as refused.
 */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) return refused.check(bare, 'ipv4');
  if (family !== 6) return true;
  const inner = embeddedIpv4(bare);
  if (inner !== undefined) return refused.check(inner, 'ipv4');
  // The IPv4-mapped range itself, whatever form it was written in.
  if (refused.check(bare, 'ipv6')) return true;
  return /^::ffff:/i.test(bare);
}

export class RefusedAddressError extends Error {
  constructor(host: string, address: string) {
    super(`${host} resolves to ${address}, a private address (set WEBHOOK_ALLOW_PRIVATE_URLS=true to allow it)`);
    this.name = 'RefusedAddressError';
  }
}

/**
 * A `lookup` for the HTTP agent: resolves as usual and fails the connection when any answer is a
 * private address, so the socket is only ever opened to an address that was checked (no DNS rebinding
 * between a check and the connect).
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) {
        callback(error, '', 0);
        return;
      }
      const bad = allowPrivate ? undefined : addresses.find((entry) => isPrivateAddress(entry.address));
      if (bad) {
        callback(Object.assign(new RefusedAddressError(hostname, bad.address), { code: 'EREFUSEDADDRESS' }), '', 0);
        return;
      }
      if (options.all) {
        callback(null, addresses);
        return;
      }
      const first = addresses[0];
      if (!first) callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      else callback(null, first.address, first.family);
    });
  };
}

/**
 * The host of a URL whose host is an IP literal, which no lookup sees: refused before connecting when
 * it is private. Undefined when the host is a name (the lookup checks it) or the address is allowed.
 */
export function refusedLiteral(url: URL, allowPrivate: boolean): RefusedAddressError | undefined {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (allowPrivate || isIP(host) === 0 || !isPrivateAddress(host)) return undefined;
  return new RefusedAddressError(host, host);
}

function resolveAll(host: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(host, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses.map((entry) => entry.address))));
  });
}

/**
 * Whether a URL may be an endpoint: http or https, a host that resolves, and (unless private addresses
 * are allowed) to no private address. Throws a ValidationError on `url` saying why not.
 */
export async function checkWebhookUrl(url: URL, allowPrivate: boolean): Promise<void> {
  const refuse = (message: string, code: string): ValidationError => new ValidationError('invalid webhook url', [{ path: 'url', message, code }]);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse('only http and https URLs can be webhook endpoints', 'invalid_protocol');
  if (url.username !== '' || url.password !== '') throw refuse('a webhook URL may not carry credentials', 'credentials');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === '') throw refuse('the URL has no host', 'no_host');
  let addresses: string[];
  try {
    addresses = isIP(host) !== 0 ? [host] : await resolveAll(host);
  } catch {
    throw refuse(`${host} does not resolve`, 'unresolvable');
  }
  if (allowPrivate) return;
  const bad = addresses.find(isPrivateAddress);
  if (bad !== undefined) throw refuse(`${host} resolves to ${bad}, a private address`, 'private_address');
}
