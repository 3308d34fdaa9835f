import WebSocket from 'ws';
import type { ClientFrame, ServerFrame } from '../../src/channels/widget/protocol';

/**
 * A bare socket client of `/widget/v1/socket`, for what a browser cannot be made to do (another visitor's
 * token, a forged Origin): connects, says hello, and collects frames until `ready`, a close or a timeout.
 */
export interface SocketOutcome {
  /** The HTTP status when the upgrade was refused. */
  refusedStatus?: number;
  closeCode?: number;
  frames: ServerFrame[];
}

export function helloOutcome(hubUrl: string, websiteKey: string, origin: string, hello: ClientFrame | undefined, timeoutMs = 10_000): Promise<SocketOutcome> {
  const url = `${hubUrl.replace(/^http/, 'ws')}/widget/v1/socket?website=${encodeURIComponent(websiteKey)}`;
  return new Promise((resolve) => {
    const outcome: SocketOutcome = { frames: [] };
    const socket = new WebSocket(url, { origin });
    const finish = () => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.terminate();
      resolve(outcome);
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('unexpected-response', (_req, res) => {
      outcome.refusedStatus = res.statusCode;
      res.resume();
      finish();
    });
    socket.on('open', () => {
      if (hello) socket.send(JSON.stringify(hello));
    });
    socket.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString('utf8')) as ServerFrame;
      outcome.frames.push(frame);
      if (frame.type === 'ready') finish();
    });
    socket.on('close', (code) => {
      outcome.closeCode = code;
      finish();
    });
    socket.on('error', () => finish());
  });
}
