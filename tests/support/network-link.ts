import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP relay between the browser and the hub that a test can cut, as a dropped Wi-Fi does.
 *
 * Chromium's offline emulation (CDP `Network.emulateNetworkConditions`, or `context.setOffline`) fails
 * new requests but leaves an open WebSocket working both ways (checked with Chromium 156; see
 * tests/e2e/browser-harness.test.ts). So a test that wants the widget's socket really gone takes the
 * browser offline through CDP *and* cuts this link: every connection through it is destroyed, and new
 * ones are refused until `restore()`.
 */
export class NetworkLink {
  private readonly sockets = new Set<Socket>();
  private down = false;
  private target: { host: string; port: number } | undefined;

  private constructor(
    private readonly server: ReturnType<typeof createServer>,
    /** http://127.0.0.1:PORT: what the browser uses as the hub's address. */
    readonly url: string,
  ) {}

  /** Listens on a free loopback port; the target (the hub) is set once it is known, with `to`. */
  static async open(): Promise<NetworkLink> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const link = new NetworkLink(server, `http://127.0.0.1:${port}`);
    server.on('connection', (client: Socket) => link.accept(client));
    return link;
  }

  /** Relays to this base URL (`http://127.0.0.1:PORT`) from now on. */
  to(url: string): this {
    const target = new URL(url);
    this.target = { host: target.hostname, port: Number(target.port) };
    return this;
  }

  /** Destroys every connection through the link and refuses new ones until `restore()`. */
  cut(): void {
    this.down = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  restore(): void {
    this.down = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.down || !this.target) {
      client.destroy();
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    for (const [socket, other] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(socket);
      socket.on('error', () => other.destroy());
      socket.on('close', () => {
        this.sockets.delete(socket);
        other.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
