import { checkWebhookUrl, guardedLookup, isPrivateAddress, refusedLiteral } from '../../src/channels/crm/outgoing/ssrf';
import { ValidationError } from '../../src/core/errors';

/** Every refused range, each by literal addresses; no test here connects anywhere. */
const REFUSED: [string, string[]][] = [
  ['loopback', ['127.0.0.1', '127.255.255.254', '::1', '0:0:0:0:0:0:0:1']],
  ['this network / unspecified', ['0.0.0.0', '0.1.2.3', '::', '0:0:0:0:0:0:0:0']],
  ['private 10/8', ['10.0.0.1', '10.255.255.255']],
  ['private 172.16/12', ['172.16.0.1', '172.31.255.255']],
  ['private 192.168/16', ['192.168.0.1', '192.168.255.255']],
  ['carrier-grade NAT 100.64/10', ['100.64.0.1', '100.127.255.255']],
  ['link-local and metadata', ['169.254.0.1', '169.254.169.254']],
  ['unique local fc00::/7', ['fc00::1', 'fd00::1', 'fd12:3456:789a::1', 'fdff:ffff::1']],
  ['link-local fe80::/10', ['fe80::1', 'febf::1', 'fe80::1%eth0']],
  ['multicast', ['224.0.0.1', '239.255.255.250', 'ff02::1']],
  ['reserved and broadcast', ['240.0.0.1', '255.255.255.255', '192.0.2.10', '198.51.100.7', '203.0.113.9', '198.18.0.1']],
  ['IPv4-mapped IPv6 of refused ones', ['::ffff:127.0.0.1', '::ffff:10.1.2.3', '::ffff:169.254.169.254', '::ffff:192.168.1.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '[::ffff:127.0.0.1]']],
  ['not an address', ['', 'localhost', '999.1.1.1']],
];

const ALLOWED = ['1.1.1.1', '8.8.8.8', '93.184.216.34', '172.15.255.255', '172.32.0.1', '100.63.255.255', '100.128.0.1', '169.253.255.255', '2606:4700:4700::1111', '2001:4860:4860::8888', '::ffff:8.8.8.8'];

describe('the webhook SSRF guard', () => {
  describe.each(REFUSED)('refuses %s', (_range, addresses) => {
    it.each(addresses)('%s', (address) => {
      expect(isPrivateAddress(address)).toBe(true);
    });
  });

  it.each(ALLOWED)('allows the public address %s', (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });

  it('refuses a private IP literal in a URL before any connection, unless private addresses are allowed', () => {
    expect(refusedLiteral(new URL('http://169.254.169.254/latest/meta-data'), false)?.message).toMatch(/169\.254\.169\.254.*private/);
    expect(refusedLiteral(new URL('http://[::1]:8080/hook'), false)).toBeDefined();
    expect(refusedLiteral(new URL('http://[::ffff:127.0.0.1]/hook'), false)).toBeDefined();
    expect(refusedLiteral(new URL('http://127.0.0.1/hook'), true)).toBeUndefined();
    expect(refusedLiteral(new URL('http://8.8.8.8/hook'), false)).toBeUndefined();
    // A host name is the lookup's to check, at connect time.
    expect(refusedLiteral(new URL('http://localhost/hook'), false)).toBeUndefined();
  });

  it('fails the lookup of a name that resolves to loopback, and answers it when private addresses are allowed', async () => {
    const resolve = (allow: boolean) =>
      new Promise<{ error: NodeJS.ErrnoException | null; address: unknown }>((done) => {
        guardedLookup(allow)('localhost', { family: 4 }, (error, address) => done({ error, address }));
      });
    const refused = await resolve(false);
    expect(refused.error?.message).toMatch(/localhost resolves to 127\.0\.0\.1, a private address/);
    const allowed = await resolve(true);
    expect([allowed.error, allowed.address]).toEqual([null, '127.0.0.1']);
  });

  it('checkWebhookUrl refuses other protocols, credentials, private addresses and names that resolve to them, naming the url field', async () => {
    const issueOf = async (url: string, allow = false) => {
      try {
        await checkWebhookUrl(new URL(url), allow);
        return undefined;
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        return (error as ValidationError).details?.[0];
      }
    };
    expect(await issueOf('ftp://example.com/x')).toMatchObject({ path: 'url', code: 'invalid_protocol' });
    expect(await issueOf('file:///etc/passwd')).toMatchObject({ path: 'url', code: 'invalid_protocol' });
    expect(await issueOf('http://user:pw@8.8.8.8/x')).toMatchObject({ path: 'url', code: 'credentials' });
    expect(await issueOf('http://10.0.0.5/x')).toMatchObject({ path: 'url', code: 'private_address' });
    expect(await issueOf('http://[fd00::1]/x')).toMatchObject({ path: 'url', code: 'private_address' });
    expect(await issueOf('http://localhost:3000/x')).toMatchObject({ path: 'url', code: 'private_address' });
    expect(await issueOf('http://localhost:3000/x', true)).toBeUndefined();
    expect(await issueOf('http://127.0.0.1/x', true)).toBeUndefined();
    expect(await issueOf('https://8.8.8.8/x')).toBeUndefined();
  });
});
