import { readFile } from 'node:fs/promises';
import { Router } from 'express';
import { PermanentDeliveryError } from '../../core/errors';
import { listInboxes } from '../../core/inboxes/inboxes';
import { repo } from '../../core/model/schemas';
import type { ChannelContext, ChannelListener, ChannelModule } from '../channel';
import { HUB_ID_SECRET, HubMessageIds, hubIdOf, ReplyTokens, SupportAddresses } from './addresses';
import { emailAddressRoutes } from './http/addresses-routes';
import { originalMailRoute } from './http/original-route';
import type { MailAddress } from './mail';
import { followUpParts } from './follow-ups';
import { EMAIL_CHANNEL, EMAIL_QUEUE } from './name';
import { MailReceiver } from './receive/receiver';
import { SmtpListener } from './receive/smtp-listener';
import { Threading } from './receive/threading';
import { inboundMailWebhook } from './receive/webhook';
import { EmailAdapter } from './send/adapter';
import { SmtpMailer } from './send/smtp-mailer';

export { EMAIL_CHANNEL } from './name';

/** DKIM_PRIVATE_KEY holds the PEM itself or names a file that does. */
async function pemOf(value: string): Promise<string> {
  return value.startsWith('-----BEGIN') ? value.replace(/\\n/g, '\n') : readFile(value, 'utf8');
}

/**
 * The email channel: mail for the support addresses comes in over the hub's SMTP server or a
 * provider's inbound-parse hook, is threaded into its conversation and stored without its quoted
 * history; agents' replies go out through SMTP_URL as mail that threads in the customer's client.
 */
export async function emailChannel(context: ChannelContext): Promise<ChannelModule> {
  const { config, db, logger } = context;
  const mailFrom: MailAddress = config.mailFrom ?? { address: '' };
  const domain = config.emailDomain ?? mailFrom.address.slice(mailFrom.address.lastIndexOf('@') + 1);
  const [hubSecret, tokenKey] = await Promise.all([context.secret(HUB_ID_SECRET), context.secret('email-reply-tokens')]);
  const hubId = hubIdOf(hubSecret);
  const messageIds = new HubMessageIds(domain);
  const tokens = new ReplyTokens(tokenKey);
  const addresses = new SupportAddresses(async () => (await listInboxes(db, EMAIL_CHANNEL)).map((inbox) => inbox.address));
  const dkim =
    config.dkimDomain && config.dkimSelector && config.dkimPrivateKey
      ? { domainName: config.dkimDomain, keySelector: config.dkimSelector, privateKey: await pemOf(config.dkimPrivateKey) }
      : undefined;
  const mailer = new SmtpMailer({ smtpUrl: config.smtpUrl ?? '', timeoutMs: config.deliveryTimeoutMs, hubId, ...(dkim ? { dkim } : {}) });
  const receiver = new MailReceiver({
    db,
    inbound: context.inbound,
    storage: context.storage,
    uploadPolicy: context.uploadPolicy,
    addresses,
    threading: new Threading({ db, messageIds, tokens, windowMs: config.emailThreadWindowHours * 3600_000 }),
    messageIds,
    hubId,
    mailFrom: mailFrom.address,
    publicUrl: config.publicUrl,
    maxBodyLength: config.messageMaxLength,
    logger,
  });
  const listeners: ChannelListener[] = [];
  if (config.inboundSmtpPort !== undefined) {
    listeners.push(
      new SmtpListener({
        receiver,
        addresses,
        port: config.inboundSmtpPort,
        host: config.inboundSmtpHost,
        maxBytes: config.emailMaxBytes,
        hostname: domain,
        ...(config.inboundSmtpTlsCert && config.inboundSmtpTlsKey ? { tls: { certPath: config.inboundSmtpTlsCert, keyPath: config.inboundSmtpTlsKey } } : {}),
        ...(config.inboundSmtpAuth ? { auth: config.inboundSmtpAuth } : {}),
        logger,
      }),
    );
  }
  const followUps = await followUpParts({
    db,
    outbox: context.outbox,
    mailer,
    config,
    publicUrl: config.publicUrl,
    secret: context.secret,
    from: mailFrom,
    // An email conversation's replies go to its inbox; any other's (a web chat's transcript) to MAIL_FROM's.
    async replyTo(conversationId) {
      const conversation = await repo(db.manager, 'Conversation').findOne({ where: { id: conversationId }, select: { channel: true, channelAddress: true } });
      const inbox = conversation?.channel === EMAIL_CHANNEL && conversation.channelAddress ? conversation.channelAddress : mailFrom.address;
      return tokens.replyAddress({ address: inbox, ...(mailFrom.name ? { name: mailFrom.name } : {}) }, conversationId);
    },
    hubMessageId: (local) => messageIds.of(local),
    sender: { channel: EMAIL_CHANNEL, queue: EMAIL_QUEUE },
    logger,
  });
  return {
    name: EMAIL_CHANNEL,
    subscribers: followUps.subscribers,
    jobs: {
      queue: EMAIL_QUEUE,
      async process(name, data, attempt) {
        if (!followUps.jobs.handles(name)) throw new PermanentDeliveryError(`unknown email job ${name}`);
        await followUps.jobs.process(name, data, attempt);
      },
      reconcile: () => followUps.jobs.reconcile(),
    },
    adapter: new EmailAdapter({
      db,
      storage: context.storage,
      mailer,
      messageIds,
      tokens,
      mailFrom,
      unsubscribeUrl: (address) => Promise.resolve(followUps.unsubscribeUrl(address)),
    }),
    listeners,
    http: () => ({
      apiRoutes: [originalMailRoute({ db }), ...emailAddressRoutes({ db, onChange: () => addresses.invalidate() }), ...followUps.apiRoutes],
      webhookRoutes: Router().use(inboundMailWebhook({ receiver, token: config.emailInboundToken, maxBytes: config.emailMaxBytes }), followUps.webhookRoutes),
    }),
  };
}
