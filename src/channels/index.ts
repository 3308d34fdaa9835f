import { apiChannelDefinition } from './api/definition';
import type { ChannelDefinition } from './channel';
import { crmChannelDefinition } from './crm/definition';
import { emailChannelDefinition } from './email/definition';
import { slackChannelDefinition } from './slack/definition';
import { smsChannelDefinition } from './sms/definition';
import { widgetChannelDefinition } from './widget/definition';

/**
 * Every channel the hub has, one line each; the hub creates those whose config section is on, in this
 * order (and stops their listeners in reverse). Adding a channel is a folder and a line here.
 */
export const CHANNELS: readonly ChannelDefinition[] = [apiChannelDefinition, widgetChannelDefinition, smsChannelDefinition, slackChannelDefinition, emailChannelDefinition, crmChannelDefinition];
