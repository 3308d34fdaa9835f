import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

interface Manifest {
  features: { slash_commands: { command: string; url: string }[] };
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { request_url: string; bot_events: string[] }; interactivity: { is_enabled: boolean; request_url: string } };
}

/** The Slack app manifest in slack/manifest.yml asks for what the hub uses, and sends everything to /slack/events. */
describe('Slack app manifest', () => {
  const manifest = parse(readFileSync(join(__dirname, '../../slack/manifest.yml'), 'utf8')) as Manifest;

  it('has the scopes the hub calls Slack with', () => {
    // chat.postMessage/update/postEphemeral, reactions.add, users.info with email, thread messages, the command.
    expect(manifest.oauth_config.scopes.bot).toEqual(expect.arrayContaining(['chat:write', 'files:write', 'reactions:write', 'users:read', 'users:read.email', 'channels:history', 'groups:history', 'commands']));
  });

  it('sends events, interactivity and the slash command to POST /slack/events', () => {
    expect(manifest.settings.event_subscriptions.request_url).toBe('https://HUB/slack/events');
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(['message.channels', 'message.groups']);
    expect(manifest.settings.interactivity).toEqual({ is_enabled: true, request_url: 'https://HUB/slack/events' });
    expect(manifest.features.slash_commands).toEqual([expect.objectContaining({ command: '/switchboard', url: 'https://HUB/slack/events' })]);
  });
});
