import type { Attachment, ConversationStatus, DeliveryStatus } from '../../core/model/types';

/**
 * Customer text as Slack shows it, never as Slack markup: `&`, `<` and `>` are escaped (Slack's own
 * rule), so `<!channel>`, `<@U123>` and `<https://x|y>` are shown as typed and trigger nothing.
 */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const CHANNEL_NAMES: Readonly<Record<string, string>> = { widget: 'web chat', sms: 'SMS', email: 'email', api: 'API' };
/** How a channel is named in Slack: `web chat`, `SMS`, `email`, `API`. */
export function channelName(channel: string): string {
  return CHANNEL_NAMES[channel] ?? channel;
}

const STATUS_NAMES: Readonly<Record<ConversationStatus, string>> = { open: 'Open', pending: 'Pending', snoozed: 'Snoozed', resolved: 'Resolved' };

export interface HeaderFacts {
  conversationId: string;
  contactName: string;
  contactAddress: string | null;
  channel: string;
  status: ConversationStatus;
  assignee: string | null;
  team: string | null;
  /** The email's subject, where the conversation has one. */
  subject?: string | null;
  /** The last pages a web chat visitor saw, newest first, each as its title or else its URL. */
  lastPages?: readonly string[];
}

/** A page's title or URL in the header: customer text, escaped, and cut short so a long URL cannot crowd it. */
const PAGE_TEXT_MAX = 120;

/** The action ids of the header's controls; the buttons' value is the conversation id. */
export const DESK_ACTIONS = {
  claim: 'sb_claim',
  resolve: 'sb_resolve',
  reopen: 'sb_reopen',
  snooze1h: 'sb_snooze_1h',
  snoozeTomorrow: 'sb_snooze_tomorrow',
  assign: 'sb_assign',
} as const;

function button(text: string, actionId: string, value: string, style?: 'primary'): Record<string, unknown> {
  return { type: 'button', text: { type: 'plain_text', text, emoji: true }, action_id: actionId, value, ...(style ? { style } : {}) };
}

/** Claim, Resolve or Reopen, the two snoozes (not on a resolved conversation, which must be reopened first) and "Assign to…". */
function deskControls(facts: HeaderFacts): Record<string, unknown> {
  const id = facts.conversationId;
  const resolved = facts.status === 'resolved';
  return {
    type: 'actions',
    block_id: 'sb_desk',
    elements: [
      button('Claim', DESK_ACTIONS.claim, id),
      resolved ? button('Reopen', DESK_ACTIONS.reopen, id) : button('Resolve', DESK_ACTIONS.resolve, id, 'primary'),
      ...(resolved ? [] : [button('Snooze 1 h', DESK_ACTIONS.snooze1h, id), button('Snooze until tomorrow 09:00 UTC', DESK_ACTIONS.snoozeTomorrow, id)]),
      { type: 'users_select', action_id: DESK_ACTIONS.assign, placeholder: { type: 'plain_text', text: 'Assign to…', emoji: true } },
    ],
  };
}

/** The thread's first message: who the customer is, where the conversation stands, and the desk's controls. */
export function headerMessage(facts: HeaderFacts): { text: string; blocks: unknown[] } {
  const channel = channelName(facts.channel);
  const who = escapeSlack(facts.contactName) + (facts.contactAddress ? ` (${escapeSlack(facts.contactAddress)})` : '');
  const text = `New ${channel} conversation with ${who}`;
  const fields = [
    `*Status:* ${STATUS_NAMES[facts.status]}`,
    `*Assignee:* ${facts.assignee ? escapeSlack(facts.assignee) : 'nobody'}`,
    `*Channel:* ${channel}`,
    `*Team:* ${facts.team ? escapeSlack(facts.team) : '—'}`,
  ];
  const pages = (facts.lastPages ?? []).map((page) => `• ${escapeSlack(page.length > PAGE_TEXT_MAX ? `${page.slice(0, PAGE_TEXT_MAX - 1)}…` : page)}`);
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${who}* · ${channel}` } },
      ...(facts.subject ? [{ type: 'section', text: { type: 'mrkdwn', text: `*Subject:* ${escapeSlack(facts.subject)}` } }] : []),
      { type: 'section', fields: fields.map((field) => ({ type: 'mrkdwn', text: field })) },
      ...(pages.length > 0 ? [{ type: 'section', text: { type: 'mrkdwn', text: ['*Last pages visited:*', ...pages].join('\n') } }] : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Conversation \`${facts.conversationId}\` · reply in this thread to answer the customer` }] },
      deskControls(facts),
    ],
  };
}

function attachmentLine(attachment: Attachment): string {
  const name = escapeSlack(attachment.name ?? attachment.contentType ?? 'attachment');
  // A file in the hub's storage is uploaded into the thread after this line: its API URL needs a key.
  if (attachment.fileKey) return `📎 ${name}`;
  // A URL inside <…> is Slack's link syntax; `|` and `>` would end it early, so such links are written out.
  return /[|<>\s]/.test(attachment.url) ? `📎 ${name}: ${escapeSlack(attachment.url)}` : `📎 <${attachment.url}|${name}>`;
}

/** One message in the thread, with who wrote it; private notes are marked as such. */
export function threadLine(sender: string, body: string, attachments: readonly Attachment[], note: boolean): string {
  const lines = [`${note ? ':memo: _private note_ · ' : ''}*${escapeSlack(sender)}*: ${escapeSlack(body)}`.trimEnd(), ...attachments.map(attachmentLine)];
  return lines.join('\n');
}

/** How a reply's delivery shows on its copy in the thread. */
export const STATUS_REACTIONS: Readonly<Partial<Record<DeliveryStatus, string>>> = {
  sent: 'outbox_tray',
  delivered: 'white_check_mark',
  read: 'eyes',
  failed: 'x',
  undelivered: 'x',
};

/**
 * What an agent typed in Slack, as plain text for the customer: links `<url|label>` become
 * `label (url)` (or the bare url), mentions keep their id, and Slack's escapes are undone.
 */
export function plainText(slackText: string): string {
  const linked = slackText.replace(/<([^<>|]+)(?:\|([^<>]*))?>/g, (_, target: string, label: string | undefined) => {
    if (/^[@#!]/.test(target)) return label ? `@${label}` : target.startsWith('@') ? target : `@${target.slice(1)}`;
    const url = target.replace(/^mailto:/, '');
    return label && label !== url ? `${label} (${url})` : url;
  });
  return linked.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
