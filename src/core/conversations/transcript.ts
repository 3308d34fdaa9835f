import { In } from 'typeorm';
import type { Database } from '../database';
import { escapeHtml } from '../html';
import { repo } from '../model/schemas';
import type { Conversation, Message } from '../model/types';
import { websiteOfConversation } from '../websites/websites';

/** A transcript is a download for the customer, not an export: a very long conversation ends at this many messages. */
const MAX_MESSAGES = 5000;

/** `2024-05-01 14:03 UTC`: unambiguous wherever the file is opened. */
function readableTime(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export interface TranscriptInput {
  /** Who the customer talked to (the website's name). */
  with: string;
  conversation: Pick<Conversation, 'id' | 'createdAt'>;
  /** Oldest first; private notes must not be among them. */
  messages: readonly Pick<Message, 'senderKind' | 'senderId' | 'body' | 'attachments' | 'createdAt'>[];
  agentNames: ReadonlyMap<string, string>;
}

function senderLabel(message: TranscriptInput['messages'][number], input: TranscriptInput): string {
  switch (message.senderKind) {
    case 'contact':
      return 'You';
    case 'agent':
      return (message.senderId ? input.agentNames.get(message.senderId) : undefined) ?? 'Agent';
    case 'bot':
      return 'Bot';
    case 'system':
      return input.with;
  }
}

/** The conversation as a self-contained HTML page: no script, no outside resource, every text escaped. */
export function renderTranscript(input: TranscriptInput): string {
  const title = `Conversation with ${input.with}`;
  const items = input.messages.map((message) => {
    const attachments = message.attachments.map((a) => `<li>${escapeHtml(a.name ?? 'file')}${a.contentType ? ` (${escapeHtml(a.contentType)})` : ''}</li>`).join('');
    return [
      '<article>',
      `<header><strong>${escapeHtml(senderLabel(message, input))}</strong> <time datetime="${message.createdAt.toISOString()}">${readableTime(message.createdAt)}</time></header>`,
      message.body ? `<p>${escapeHtml(message.body)}</p>` : '',
      attachments ? `<ul>${attachments}</ul>` : '',
      '</article>',
    ].join('');
  });
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    `<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>`,
    '<style>body{font:15px/1.5 system-ui,sans-serif;color:#1a1a1a;max-width:42rem;margin:2rem auto;padding:0 1rem}article{margin:0 0 1.25rem}time{color:#555;font-size:.85em}p{margin:.25rem 0;white-space:pre-wrap;overflow-wrap:anywhere}ul{margin:.25rem 0;padding-left:1.25rem}</style></head>',
    `<body><h1>${escapeHtml(title)}</h1><p>Started ${readableTime(input.conversation.createdAt)}</p>`,
    ...items,
    '</body></html>',
  ].join('\n');
}

/** A conversation's transcript as plain text: the same lines as the HTML page, for mail's text part and downloads. */
export function renderTranscriptText(input: TranscriptInput): string {
  const items = input.messages.map((message) => {
    const lines = [`${senderLabel(message, input)}, ${readableTime(message.createdAt)}:`];
    if (message.body) lines.push(...message.body.split(/\r?\n/).map((line) => `  ${line}`));
    for (const a of message.attachments) lines.push(`  [file: ${a.name ?? 'file'}${a.contentType ? ` (${a.contentType})` : ''}]`);
    return lines.join('\n');
  });
  return [`Conversation with ${input.with}`, `Started ${readableTime(input.conversation.createdAt)}`, ...items].join('\n\n') + '\n';
}

/** The messages of a conversation as its customer may see them (no private notes), oldest first, and its agents' names. */
export async function transcriptOf(db: Database, conversation: Pick<Conversation, 'id'>): Promise<{ messages: Message[]; agentNames: Map<string, string> }> {
  const messages = await repo(db.manager, 'Message').find({
    where: { conversationId: conversation.id, private: false },
    order: { createdAt: 'ASC', id: 'ASC' },
    take: MAX_MESSAGES,
  });
  const agentIds = [...new Set(messages.flatMap((m) => (m.senderKind === 'agent' && m.senderId ? [m.senderId] : [])))];
  const agents = agentIds.length > 0 ? await repo(db.manager, 'Agent').find({ where: { id: In(agentIds) }, select: { id: true, name: true } }) : [];
  return { messages, agentNames: new Map(agents.map((a) => [a.id, a.name])) };
}

/** The transcript of a conversation as its customer may see it: without private notes. */
export async function conversationTranscript(db: Database, conversation: Conversation, withName: string, format: 'html' | 'text' = 'html'): Promise<string> {
  const input: TranscriptInput = { with: withName, conversation, ...(await transcriptOf(db, conversation)) };
  return format === 'html' ? renderTranscript(input) : renderTranscriptText(input);
}

/**
 * Whom the customer talked to, as a transcript names it: the website the conversation came in on, else
 * the inbox they wrote to, else the conversation's team; null when none has a name.
 */
export async function transcriptParty(db: Database, conversation: Pick<Conversation, 'channel' | 'channelAddress' | 'teamId'>): Promise<string | null> {
  const websiteId = await websiteOfConversation(db, conversation);
  if (websiteId) return (await repo(db.manager, 'Website').findOne({ where: { id: websiteId }, select: { name: true } }))?.name ?? null;
  if (conversation.channelAddress) {
    const inbox = await repo(db.manager, 'Inbox').findOne({ where: { channel: conversation.channel, address: conversation.channelAddress }, select: { name: true } });
    if (inbox?.name) return inbox.name;
  }
  if (conversation.teamId) return (await repo(db.manager, 'Team').findOne({ where: { id: conversation.teamId }, select: { name: true } }))?.name ?? null;
  return null;
}
