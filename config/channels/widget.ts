import { channelSection, boolean, integer, setting } from '../setting';

/** The web chat widget: always on; its demo page and rate limits. */
export const widgetSection = channelSection({
  channel: 'widget',
  turnsOn: [],
  settings: {
    demoPage: setting({
      env: 'DEMO_PAGE',
      description: 'Serve GET /demo: a page with the chat widget of the demo website (wk_demo, created when missing) and how to answer as an agent.',
      schema: boolean,
      default: 'true',
    }),
    widgetMessagesPerMinutePerVisitor: setting({
      env: 'WIDGET_MESSAGES_PER_MINUTE_PER_VISITOR',
      description: 'Web chat: messages (and offline-form messages) one visitor may send per minute; more get 429 with Retry-After.',
      schema: integer(1, 100_000),
      default: '20',
    }),
    widgetMessagesPerMinutePerIp: setting({
      env: 'WIDGET_MESSAGES_PER_MINUTE_PER_IP',
      description: 'Web chat: messages all visitors behind one IP address may send per minute.',
      schema: integer(1, 1_000_000),
      default: '60',
    }),
    widgetConversationsPerHourPerVisitor: setting({
      env: 'WIDGET_CONVERSATIONS_PER_HOUR_PER_VISITOR',
      description: 'Web chat: messages that open a conversation (the visitor has none open) one visitor may send per hour.',
      schema: integer(1, 100_000),
      default: '5',
    }),
    widgetConversationsPerHourPerIp: setting({
      env: 'WIDGET_CONVERSATIONS_PER_HOUR_PER_IP',
      description: 'Web chat: messages that open a conversation, per hour, from one IP address.',
      schema: integer(1, 1_000_000),
      default: '20',
    }),
    widgetUploadsPerHourPerVisitor: setting({
      env: 'WIDGET_UPLOADS_PER_HOUR_PER_VISITOR',
      description: 'Web chat: attachments one visitor may upload per hour.',
      schema: integer(1, 100_000),
      default: '20',
    }),
    widgetUploadsPerHourPerIp: setting({
      env: 'WIDGET_UPLOADS_PER_HOUR_PER_IP',
      description: 'Web chat: attachments uploaded per hour from one IP address.',
      schema: integer(1, 1_000_000),
      default: '60',
    }),
    widgetVisitorsPerHourPerIp: setting({
      env: 'WIDGET_VISITORS_PER_HOUR_PER_IP',
      description: 'Web chat: new anonymous visitors (a browser opening the chat for the first time) per hour from one IP address.',
      schema: integer(1, 1_000_000),
      default: '30',
    }),
    widgetPageViewsPerHourPerVisitor: setting({
      env: 'WIDGET_PAGE_VIEWS_PER_HOUR_PER_VISITOR',
      description: 'Web chat: page views one visitor may record per hour; more are refused (and not recorded).',
      schema: integer(1, 100_000),
      default: '600',
    }),
  },
});
