import { createHmac, timingSafeEqual } from 'node:crypto';
import type { MailAddress } from './mail';

/** A recipient as the hub reads it: the support inbox it belongs to, and the reply token of a plus-address. */
export interface Recipient {
  inbox: string;
  token: string | undefined;
}

/** How long a process trusts its copy of the support addresses; a change made in another process shows within it. */
const ADDRESSES_TTL_MS = 5000;

/**
 * The support addresses mail is accepted for: the email channel's inboxes (EMAIL_ADDRESSES, and those
 * added with /api/v1/email-addresses), read again every few seconds. `support+TOKEN@acme.example`
 * belongs to the inbox `support@acme.example`; its token names the conversation a reply continues.
 */
export class SupportAddresses {
  private inboxes: ReadonlySet<string> = new Set();
  private loadedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | undefined;

  constructor(private readonly load: () => Promise<readonly string[]>) {}

  /** Forgets the copy, so the next question reads the addresses again (this process changed them). */
  invalidate(): void {
    this.loadedAt = Number.NEGATIVE_INFINITY;
  }

  async recipientOf(address: string): Promise<Recipient | undefined> {
    await this.fresh();
    const lower = address.trim().toLowerCase();
    const at = lower.lastIndexOf('@');
    if (at <= 0) return undefined;
    const local = lower.slice(0, at);
    const plus = local.indexOf('+');
    const inbox = plus < 0 ? lower : `${local.slice(0, plus)}${lower.slice(at)}`;
    if (!this.inboxes.has(inbox)) return undefined;
    return { inbox, token: plus < 0 ? undefined : local.slice(plus + 1) || undefined };
  }

  /** The first of the addresses that is one of ours (envelope recipients come first, then the headers'). */
  async firstOf(addresses: readonly string[]): Promise<Recipient | undefined> {
    for (const address of addresses) {
      const recipient = await this.recipientOf(address);
      if (recipient) return recipient;
    }
    return undefined;
  }

  private async fresh(): Promise<void> {
    if (Date.now() - this.loadedAt < ADDRESSES_TTL_MS) return;
    this.loading ??= this.load()
      .then((addresses) => {
        this.inboxes = new Set(addresses.map((a) => a.toLowerCase()));
        this.loadedAt = Date.now();
      })
      .finally(() => {
        this.loading = undefined;
      });
    await this.loading;
  }
}

const MAC_HEX = 12;

/**
 * The reply token of a conversation: its id and a short HMAC, in lower-case hex so that servers which
 * change the case of local parts do not break it. Forging one takes 2^48 tries per conversation id.
 */
export class ReplyTokens {
  constructor(private readonly key: Buffer) {}

  tokenOf(conversationId: string): string {
    const id = conversationId.replace(/-/g, '').toLowerCase();
    return id + this.mac(id);
  }

  conversationOf(token: string): string | undefined {
    const match = /^([0-9a-f]{32})([0-9a-f]{12})$/.exec(token.toLowerCase());
    if (!match) return undefined;
    const [, id = '', mac = ''] = match;
    if (!timingSafeEqual(Buffer.from(mac), Buffer.from(this.mac(id)))) return undefined;
    return `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`;
  }

  /** `support+TOKEN@acme.example`: where a reply to the conversation's mail goes. */
  replyAddress(inbox: MailAddress, conversationId: string): MailAddress {
    const at = inbox.address.lastIndexOf('@');
    return { ...inbox, address: `${inbox.address.slice(0, at)}+${this.tokenOf(conversationId)}${inbox.address.slice(at)}` };
  }

  private mac(id: string): string {
    return createHmac('sha256', this.key).update(id).digest('hex').slice(0, MAC_HEX);
  }
}

/** The hub secret its X-Switchboard-Hub value comes from. */
export const HUB_ID_SECRET = 'email-hub-id';

/** The `X-Switchboard-Hub` value of this hub's mail: from a secret of its own, the same in every process. */
export function hubIdOf(secret: Buffer): string {
  return secret.subarray(0, 12).toString('hex');
}

/** The Message-ID the hub gives the mail of one of its messages, and the message id back from one. */
export class HubMessageIds {
  constructor(readonly domain: string) {}

  of(localId: string): string {
    return `${localId}@${this.domain}`;
  }

  /** The local part of one of the hub's own Message-IDs (normalized), or undefined for anyone else's. */
  localOf(messageId: string): string | undefined {
    const suffix = `@${this.domain}`;
    return messageId.endsWith(suffix) ? messageId.slice(0, -suffix.length) : undefined;
  }
}
