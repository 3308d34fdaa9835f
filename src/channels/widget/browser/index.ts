/**
 * widget.js: `<script src="https://HUB/widget.js" data-website="KEY" async></script>`. The script defines
 * `window.Switchboard` at once, then waits for the page to be idle before it asks the hub for anything,
 * so it never competes with the page's own loading.
 */
import type { WidgetSettings } from '../protocol';
import { Chat } from './chat';
import { HubClient } from './http';
import { pickLocale, stringsFor } from './i18n';
import { PublicApi, type SwitchboardApi } from './public-api';
import { Session } from './session';
import { View } from './ui/view';

declare global {
  interface Window {
    /** The API, or a page's stub holding calls made before the script ran (see PublicApi). */
    Switchboard?: SwitchboardApi | { q?: unknown[] };
  }
}

/** `currentScript` is only set while the script first runs, so it is read right away. */
const script = document.currentScript as HTMLScriptElement | null;
const websiteKey = script?.dataset.website;

if (!script || !websiteKey) {
  console.warn('Switchboard: widget.js needs a data-website attribute on its script tag.');
} else if (!(window.Switchboard && 'on' in window.Switchboard)) {
  // (Not when the page includes the script twice: one widget is enough.)
  const api = new PublicApi(window.Switchboard);
  window.Switchboard = api.api;
  whenIdle(() => void start(new URL(script.src).origin, websiteKey, api));
}

function whenIdle(run: () => void): void {
  const idle = (): void => {
    if ('requestIdleCallback' in window) requestIdleCallback(run, { timeout: 3000 });
    else setTimeout(run, 200);
  };
  if (document.readyState === 'complete') idle();
  else addEventListener('load', idle, { once: true });
}

async function start(hub: string, key: string, api: PublicApi): Promise<void> {
  const session = new Session(key);
  const client = new HubClient(hub, key, () => session.token);
  let settings: WidgetSettings;
  try {
    settings = await client.json<WidgetSettings>('settings');
  } catch (error) {
    // A wrong key or an origin the website does not allow: the page shows no widget, and says why here.
    console.warn('Switchboard: the chat widget is not available on this page.', error);
    return;
  }
  const strings = stringsFor(pickLocale(settings.locale));
  const socketUrl = `${hub.replace(/^http/, 'ws')}/widget/v1/socket?website=${encodeURIComponent(key)}`;
  const chat = new Chat(settings, client, session, socketUrl);
  const view = new View(chat, strings, hub, { opened: () => api.emit('open'), closed: () => api.emit('close') });
  chat.start({
    changed: () => view.render(),
    message: (message) => {
      view.announce(message);
      api.emit('message', message);
    },
  });
  api.attach({
    open: () => view.open(),
    close: () => view.close(),
    identify: (input) => {
      chat.identify(input).catch((error: unknown) => console.warn('Switchboard: identify failed.', error));
    },
    reset: () => {
      view.close();
      chat.reset();
    },
  });
}
