import { ValidationError } from '../../src/core/errors';
import { checkWebhookUrl } from '../../src/channels/crm/outgoing/ssrf';

/**
 * What the webhook API relies on from the SSRF guard at creation: `checkWebhookUrl` refuses what the hub
 * must not call with a ValidationError naming `url`, and lets the rest through. Only literal addresses
 * and `localhost` are used, so nothing here asks a DNS server.
 */

async function refusal(url: string, allowPrivate = false): Promise<unknown> {
  try {
    await checkWebhookUrl(new URL(url), allowPrivate);
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('checkWebhookUrl', () => {
  it.each([
    'http://127.0.0.1/',
    'http://127.8.9.10:8080/hook',
    'http://0x7f000001/',
    'http://0.0.0.0/',
    'http://10.0.0.1/',
    'http://172.16.5.4/',
    'http://192.168.1.1/',
    'http://100.64.0.1/',
    'http://169.254.169.254/latest/meta-data',
    'http://[::1]/',
    'http://[::]/',
    'http://[fe80::1]/',
    'http://[fd00:ec2::254]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:a9fe:a9fe]/',
    'http://[64:ff9b::a00:1]/',
    'https://localhost/',
  ])('refuses %s, which is or resolves to a private address', async (url) => {
    const error = await refusal(url);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).details).toEqual([expect.objectContaining({ path: 'url' })]);
  });

  it.each(['ftp://files.example.com/', 'file:///etc/passwd', 'gopher://127.0.0.1/'])('refuses %s, which is not http(s), even with private URLs allowed', async (url) => {
    const error = await refusal(url, true);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).details).toEqual([expect.objectContaining({ path: 'url' })]);
  });

  it.each(['http://93.184.215.14/', 'https://[2606:4700:4700::1111]/hook', 'http://[::ffff:808:808]/'])('lets the public address %s through', async (url) => {
    expect(await refusal(url)).toBeUndefined();
  });

  it('lets private addresses through when they are allowed', async () => {
    for (const url of ['http://127.0.0.1:9/', 'http://[::1]/', 'http://localhost/', 'http://10.0.0.1/']) expect(await refusal(url, true)).toBeUndefined();
  });
});
