import { Router } from 'express';
import { WIDGET_CHANNEL } from './name';
import type { ChannelContext, ChannelModule } from '../channel';
import { WidgetDeliveryAdapter } from './adapter';
import { widgetAssetRoutes } from './assets';
import { demoRoutes } from './demo-page';
import { widgetRouter } from './http/router';
import { websiteRoutes } from './http/websites-routes';
import { VisitorMessages } from './messages';
import { WidgetSockets } from './socket/server';
import { VisitorTokens } from './tokens';
import { WidgetViews } from './views';

/** What the widget takes of the channel context, and its own settings. */
export interface WidgetChannelOptions extends Pick<ChannelContext, 'db' | 'inbound' | 'outbox' | 'storage' | 'uploadPolicy' | 'links' | 'rateLimits' | 'signals' | 'logger'> {
  publicUrl: string;
  /** Signs visitor tokens; the same in every process. */
  tokenSecret: Buffer;
  messageMaxLength: number;
  bodyLimitBytes: number;
  /** `GET /demo` (DEMO_PAGE): the port completes the demo website's allowed origins. */
  demoPage: { enabled: boolean; port: number };
  /** The hub sends email: visitors who gave an address may have a transcript mailed to them. */
  transcriptByEmail: boolean;
}

/**
 * The web chat widget's server side: `/widget.js` and the demo page, `/widget/v1` for the visitor's browser (checked against the
 * website's allowed origins), the socket that carries the conversation live, and the delivery adapter
 * of replies, which the socket and history carry from the database.
 */
export function widgetChannel(options: WidgetChannelOptions): ChannelModule {
  const { db, links, logger } = options;
  const tokens = new VisitorTokens(options.tokenSecret);
  const views = new WidgetViews({ db, links, transcriptByEmail: options.transcriptByEmail });
  const messages = new VisitorMessages({ db, outbox: options.outbox, inbound: options.inbound, storage: options.storage, rateLimits: options.rateLimits, views, publicUrl: options.publicUrl });
  return {
    name: WIDGET_CHANNEL,
    adapter: new WidgetDeliveryAdapter(),
    http: (live) => ({
      apiRoutes: websiteRoutes({ db, publicUrl: options.publicUrl, channel: WIDGET_CHANNEL }),
      webhookRoutes: Router().use(
        widgetAssetRoutes(),
        demoRoutes({ db, publicUrl: options.publicUrl, port: options.demoPage.port, enabled: options.demoPage.enabled }),
        widgetRouter({ ...options, tokens, views, messages }),
      ),
      sockets: new WidgetSockets({ db, tokens, views, inbound: options.inbound, signals: options.signals, live, logger }),
    }),
  };
}
