import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { AppError } from '../../../core/errors';
import type { Website } from '../../../core/model/types';
import { isWebsiteOnline } from '../../../core/websites/presence';
import type { LiveFeed } from '../../../core/ports/live-feed';
import { appErrorBody, httpStatusOf } from '../../../http/errors';
import type { ChannelSockets } from '../../channel';
import { pageOriginOf, websiteForPage } from '../page-origin';
import { CLOSE } from './frames';
import { SocketRouter } from './router';
import { SocketSession, type SessionDeps } from './session';

export const WIDGET_SOCKET_PATH = '/widget/v1/socket';

const HEARTBEAT_MS = 30_000;
/** Frames are small JSON; anything larger is not the widget's. */
const MAX_FRAME_BYTES = 16 * 1024;
/** On shutdown, how long sockets get to close cleanly before they are cut. */
const CLOSE_GRACE_MS = 1000;

/** Refuses an upgrade with an HTTP answer in the JSON error shape, then ends the connection. */
function refuse(socket: Duplex, error: AppError): void {
  const body = JSON.stringify(appErrorBody(error));
  const status = httpStatusOf(error);
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/**
 * The widget's sockets at `/widget/v1/socket?website=KEY`: the page's origin is checked on the upgrade;
 * the process's live events reach them through one router; a heartbeat pings every socket, cuts those
 * that stopped answering, and tells visitors when someone comes online or leaves.
 */
export class WidgetSockets implements ChannelSockets {
  readonly path = WIDGET_SOCKET_PATH;
  private readonly server = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  private readonly sessions = new Set<SocketSession>();
  /**
   * One copy of each website for all its sockets: a socket holds its website for its whole life, and
   * ten thousand copies of the same row (its secret among them) would cost more than the sockets do.
   */
  private readonly websites = new Map<string, Website>();
  private readonly deps: SessionDeps;
  private readonly stopFollowing: () => void;
  private readonly heartbeat: NodeJS.Timeout;
  private closing = false;

  constructor(deps: Omit<SessionDeps, 'router'> & { live: LiveFeed }) {
    const router = new SocketRouter(deps.views, deps.logger);
    this.deps = { ...deps, router };
    this.stopFollowing = deps.live.add(router);
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (error) => this.deps.logger.debug({ err: error }, 'widget socket upgrade failed'));
    void this.upgrade(req, socket, head);
  }

  /** Closes every socket (the widgets reconnect, to another process) and stops the heartbeat. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.heartbeat);
    const clients = [...this.server.clients];
    for (const session of this.sessions) session.close(CLOSE.goingAway, 'server shutting down');
    await new Promise<void>((resolve) => {
      let open = clients.length;
      if (open === 0) {
        resolve();
        return;
      }
      const timer = setTimeout(resolve, CLOSE_GRACE_MS);
      for (const ws of clients) {
        ws.once('close', () => {
          if (--open === 0) {
            clearTimeout(timer);
            resolve();
          }
        });
      }
    });
    for (const ws of this.server.clients) ws.terminate();
    this.stopFollowing();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    try {
      const key = new URL(req.url ?? '/', 'http://hub').searchParams.get('website') ?? undefined;
      const website = this.shared(await websiteForPage(this.deps.db, key, pageOriginOf(req.headers)));
      // The hub began to stop while the website was looked up.
      if (this.closing) {
        socket.destroy();
        return;
      }
      this.server.handleUpgrade(req, socket, head, (ws) => {
        const session = new SocketSession(ws, website, this.deps);
        this.sessions.add(session);
        ws.once('close', () => this.sessions.delete(session));
      });
    } catch (error) {
      if (error instanceof AppError) refuse(socket, error);
      else {
        this.deps.logger.error({ err: error }, 'widget socket upgrade failed');
        socket.destroy();
      }
    }
  }

  /** The copy other sockets hold when this row is the same version of the website; else this one becomes it. */
  private shared(website: Website): Website {
    const known = this.websites.get(website.id);
    if (known?.updatedAt.getTime() === website.updatedAt.getTime()) return known;
    this.websites.set(website.id, website);
    return website;
  }

  private async beat(): Promise<void> {
    const websites = new Map<string, SocketSession[]>();
    for (const session of this.sessions) {
      session.heartbeat();
      const same = websites.get(session.website.id);
      if (same) same.push(session);
      else websites.set(session.website.id, [session]);
    }
    // Copies no socket holds any more are let go.
    for (const id of this.websites.keys()) if (!websites.has(id)) this.websites.delete(id);
    // One question per website with sockets: is anyone there? Visitors whose answer changed are told.
    for (const sessions of websites.values()) {
      const first = sessions[0];
      if (!first) continue;
      try {
        const online = await isWebsiteOnline(this.deps.db, first.website);
        for (const session of sessions) session.presence(online);
      } catch (error) {
        this.deps.logger.warn({ err: error }, 'widget presence check failed');
      }
    }
  }
}
