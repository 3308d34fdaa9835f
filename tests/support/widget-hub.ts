import { createHmac } from 'node:crypto';
import { WEBSITE_HEADER } from '../../src/channels/widget/protocol';
import type { AgentItem, MessageItem } from './agent-api';
import { CustomerSite } from './customer-site';
import { createTestEnvironment, type TestEnvironment } from './env';
import { NetworkLink } from './network-link';
import { CLI_JS, HubProcess, killStartedProcesses, runNode, waitFor } from './processes';
import { SseClient } from './sse-client';
import type { WebsiteItem } from './websites';

/**
 * A real hub process for the widget's end-to-end tests, with everything around it: its own SQLite file
 * and Redis prefix, a network link the browser reaches it through (the hub's PUBLIC_URL, so file links
 * go through it too), an admin API key, an online agent with their own key, a website whose only allowed
 * origin is the customer site, and an event stream of the agents' API.
 */

export interface Answer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export interface WidgetHubOptions {
  /** Settings of the hub process on top of the test environment's. */
  env?: Record<string, string>;
  /** The agent's display name (the XSS tests make it a payload). */
  agentName?: string;
  /** Runs `hub seed-demo` before start-up, for `/demo`. */
  seedDemo?: boolean;
}

async function cli(env: Record<string, string>, args: string[]): Promise<string> {
  const result = await runNode(CLI_JS, args, env);
  if (result.code !== 0) throw new Error(`hub ${args.join(' ')} exited ${String(result.code)}: ${result.stderr}`);
  return result.stdout.trim();
}

async function answer<T>(res: Response): Promise<Answer<T>> {
  const text = await res.text();
  let body: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') body = JSON.parse(text);
  return { status: res.status, body: body as T, headers: res.headers, text };
}

export class WidgetHub {
  /** The agents' API events (messages, conversation changes, visitors typing) since start-up. */
  events!: SseClient;
  website!: WebsiteItem;
  agent!: AgentItem;
  adminKey = '';
  agentKey = '';
  /** Where the hub listens; API calls of the test go straight there. */
  url = '';

  private constructor(
    readonly environment: TestEnvironment,
    readonly process: HubProcess,
    /** The browser's way to the hub: its URL is the hub as pages see it. */
    readonly link: NetworkLink,
    /** The customer's website, the website's allowed origin. */
    readonly site: CustomerSite,
  ) {}

  static async start(options: WidgetHubOptions = {}): Promise<WidgetHub> {
    const link = await NetworkLink.open();
    const site = await CustomerSite.start();
    const environment = createTestEnvironment('sqlite', { LOG_LEVEL: 'info', PUBLIC_URL: link.url, ...options.env });
    // The CLI migrates the new database before anything else touches it.
    const adminKey = await cli(environment.env, ['api-key', 'create', '--name', 'e2e admin', '--scopes', 'read,write,admin']);
    if (options.seedDemo) await cli(environment.env, ['seed-demo']);
    const process = new HubProcess(environment.env);
    const hub = new WidgetHub(environment, process, link, site);
    hub.adminKey = adminKey;
    hub.url = await process.running();
    link.to(hub.url);

    const email = 'ada@acme.example';
    hub.agent = await hub.expect<AgentItem>(201, 'POST', '/api/v1/agents', { name: options.agentName ?? 'Ada', email, status: 'online' });
    hub.agentKey = await cli(environment.env, ['api-key', 'create', '--name', 'e2e agent', '--agent', email]);
    hub.website = await hub.createWebsite({ name: 'Acme Garden Tools', allowedOrigins: [site.origin] });
    site.embed(link.url, hub.website.key);
    hub.events = await SseClient.connect(`${hub.url}/api/v1/events?types=message.created,message.updated,conversation.updated,conversation.typing`, { key: adminKey });
    return hub;
  }

  async stop(): Promise<void> {
    await this.events.close();
    const exit = await this.process.stop('SIGTERM').catch(() => undefined);
    await killStartedProcesses();
    await this.site.close();
    await this.link.close();
    await this.environment.cleanup();
    if (exit && exit.code !== 0) throw new Error(`the hub exited ${JSON.stringify(exit)}; its output ends with:\n${this.process.tail()}`);
  }

  createWebsite(input: Record<string, unknown>): Promise<WebsiteItem> {
    return this.expect<WebsiteItem>(201, 'POST', '/api/v1/websites', input);
  }

  /** A request to the agents' API, as the admin unless another key is given. */
  async api<T = unknown>(method: string, path: string, json?: unknown, key: string = this.adminKey): Promise<Answer<T>> {
    const headers: Record<string, string> = { authorization: `Bearer ${key}` };
    if (json !== undefined) headers['content-type'] = 'application/json';
    return answer<T>(await fetch(`${this.url}${path}`, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) }));
  }

  async expect<T>(status: number, method: string, path: string, json?: unknown, key?: string): Promise<T> {
    const res = await this.api<T>(method, path, json, key);
    if (res.status !== status) throw new Error(`${method} ${path} answered ${res.status}, expected ${status}: ${res.text}`);
    return res.body;
  }

  /**
   * A request to `/widget/v1` as a page on `origin` would make it (its `Origin` header), for the website
   * given (else the test's), with a visitor's token when given.
   */
  async widget<T = unknown>(
    method: string,
    path: string,
    options: { origin?: string; token?: string; json?: unknown; websiteKey?: string; bytes?: { body: Buffer; contentType: string } } = {},
  ): Promise<Answer<T>> {
    const headers: Record<string, string> = { origin: options.origin ?? this.site.origin, [WEBSITE_HEADER]: options.websiteKey ?? this.website.key };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    let body: string | Buffer | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.bytes) {
      headers['content-type'] = options.bytes.contentType;
      body = options.bytes.body;
    }
    return answer<T>(await fetch(`${this.url}/widget/v1/${path}`, { method, headers, body }));
  }

  /** A reply from the agent (signed with their name) through the API. */
  reply(conversationId: string, body: string, attachments?: { fileKey: string }[]): Promise<MessageItem> {
    return this.expect<MessageItem>(201, 'POST', `/api/v1/conversations/${conversationId}/messages`, { body, ...(attachments ? { attachments } : {}) }, this.agentKey);
  }

  /** Waits for a visitor's message with this exact body on the agents' event stream. */
  async visitorMessage(body: string, timeoutMs = 10_000): Promise<MessageItem> {
    return this.events.until(
      `the visitor's message ${JSON.stringify(body)} on the API's event stream`,
      (stream) =>
        stream
          .parsed('message.created')
          .map((event) => (event.json as { data: { message: MessageItem } }).data.message)
          .find((message) => message.direction === 'inbound' && message.body === body),
      timeoutMs,
    );
  }

  /** Every message of a conversation, as an agent reads them. */
  async messages(conversationId: string): Promise<MessageItem[]> {
    const page = await this.expect<{ items: MessageItem[] }>(200, 'GET', `/api/v1/conversations/${conversationId}/messages?limit=100`);
    return page.items;
  }

  /** Waits until the hub has handed an agent's reply to the widget channel (status sent or later). */
  async sent(message: MessageItem): Promise<void> {
    await waitFor(
      `reply ${message.id} to be sent`,
      async () => (await this.messages(message.conversationId)).find((m) => m.id === message.id && ['sent', 'delivered', 'read'].includes(m.deliveryStatus)),
      10_000,
    );
  }

  /** The hash `identify` needs: hex HMAC-SHA256 of the user id with the website's identity secret. */
  identityHash(userId: string, website: WebsiteItem = this.website): string {
    if (!website.identitySecret) throw new Error(`the website API did not return identitySecret: ${JSON.stringify(website)}`);
    return createHmac('sha256', website.identitySecret).update(userId).digest('hex');
  }
}
