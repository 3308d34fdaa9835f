import type { IdentifyInput } from '../protocol';

export type EventName = 'ready' | 'message' | 'open' | 'close';
type Listener = (payload?: unknown) => void;

/** What the loaded widget does for the page's commands. */
export interface Commands {
  open(): void;
  close(): void;
  identify(input: IdentifyInput): void;
  reset(): void;
}

export interface SwitchboardApi extends Commands {
  on(event: EventName, listener: Listener): void;
}

type Queued = [keyof Commands | 'on', ...unknown[]];
const NAMES: unknown[] = ['open', 'close', 'identify', 'reset', 'on'];

/**
 * `window.Switchboard`. It exists as soon as the script has run, but the widget loads only once the
 * page is idle, so commands wait in a queue until then. A page that must call it before the script has
 * even run (it is `async`) can leave its calls in a stub, replayed in order:
 * `window.Switchboard = { q: [['identify', { id, hash }]] }`.
 */
export class PublicApi {
  readonly api: SwitchboardApi;
  private commands: Commands | null = null;
  private readonly queue: Queued[] = [];
  private readonly listeners = new Map<EventName, Listener[]>();
  private ready = false;

  constructor(stub: unknown) {
    const command =
      (name: keyof Commands) =>
      (...args: unknown[]): void => {
        if (this.commands) this.run([name, ...args]);
        else this.queue.push([name, ...args]);
      };
    this.api = {
      open: command('open'),
      close: command('close'),
      identify: command('identify'),
      reset: command('reset'),
      on: (event, listener) => {
        this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
        // Late listeners of `ready` are not left waiting for what already happened.
        if (event === 'ready' && this.ready) this.call(listener);
      },
    };
    const queued = (stub as { q?: unknown } | undefined)?.q;
    if (Array.isArray(queued)) for (const entry of queued) if (Array.isArray(entry) && NAMES.includes(entry[0])) this.run(entry as Queued);
  }

  /** The widget has loaded: run what was queued, then everything at once. */
  attach(commands: Commands): void {
    this.commands = commands;
    for (const entry of this.queue.splice(0)) this.run(entry);
    this.ready = true;
    this.emit('ready');
  }

  emit(event: EventName, payload?: unknown): void {
    for (const listener of this.listeners.get(event) ?? []) this.call(listener, payload);
  }

  /** Off the widget's own call stack: a page's listener that throws breaks nothing of ours. */
  private call(listener: Listener, payload?: unknown): void {
    setTimeout(() => listener(payload));
  }

  private run([name, ...args]: Queued): void {
    if (name === 'on') this.api.on(args[0] as EventName, args[1] as Listener);
    else if (!this.commands) this.queue.push([name, ...args]);
    else if (name === 'identify') this.commands.identify(args[0] as IdentifyInput);
    else this.commands[name]();
  }
}
