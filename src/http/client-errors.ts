import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody } from './errors';

/** Node's parser codes that get a status of their own; any other parse error is a 400. */
const STATUS_OF_CODE: Record<string, { status: number; reason: string; code: string; message: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, reason: 'Request Header Fields Too Large', code: 'headers_too_large', message: 'The request headers are larger than the limit.' },
};
const MALFORMED = { status: 400, reason: 'Bad Request', code: 'malformed_request', message: 'The request is not valid HTTP (a malformed request line or header).' };

/**
 * Requests Node's own parser refuses (odd bytes in the request line or a header, oversized headers)
 * never reach express; they are answered here in the same JSON error shape, and the connection closes.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const { status, reason, code, message } = STATUS_OF_CODE[error.code ?? ''] ?? MALFORMED;
    const body = JSON.stringify(errorBody(code, message));
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
}
