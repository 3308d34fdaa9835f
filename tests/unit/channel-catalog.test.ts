import { ChannelCatalog } from '../../src/core/channels/catalog';
import { PermanentDeliveryError, ValidationError } from '../../src/core/errors';
import type { ChannelAdapter } from '../../src/core/ports/channel-adapter';

const adapter = (capabilities: ChannelAdapter['capabilities']): ChannelAdapter => ({
  channel: 'fax',
  capabilities,
  send: () => Promise.reject(new Error('never sent in this test')),
});

function thrown(act: () => void): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected it to throw');
}

describe('the channel catalog', () => {
  const narrow = adapter({ attachments: false, maxTextLength: 5, receipts: 'none', threads: false });
  const catalog = new ChannelCatalog();
  catalog.add([narrow]);
  const file = { url: 'https://files.test/a.png', contentType: 'image/png', name: 'a.png', size: 1 };

  it('accepts what the channel carries, and anything on a channel it does not know', () => {
    expect(() => catalog.assertAccepts('fax', { body: 'hello', attachments: [] })).not.toThrow();
    expect(() => catalog.assertAccepts('pager', { body: 'x'.repeat(10_000), attachments: [file] })).not.toThrow();
  });

  it('refuses text over the limit and attachments it cannot carry, naming each field', () => {
    const error = thrown(() => catalog.assertAccepts('fax', { body: 'hello!', attachments: [file] }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).details).toEqual([
      expect.objectContaining({ path: 'attachments', code: 'attachments_not_supported' }),
      expect.objectContaining({ path: 'body', code: 'text_too_long' }),
    ]);
  });

  it('fails for good, before any send, a queued message the channel cannot carry', () => {
    expect(() => catalog.assertCarries(narrow, { channel: 'fax', body: 'hello!', attachments: [] })).toThrow(PermanentDeliveryError);
    expect(thrown(() => catalog.assertCarries(narrow, { channel: 'fax', body: 'hi', attachments: [file] }))).toMatchObject({ code: 'attachments_not_supported' });
    expect(() => catalog.assertCarries(narrow, { channel: 'fax', body: 'hi', attachments: [] })).not.toThrow();
  });
});
