/** The first line of an error's message; errors from other realms (Node's own, in a VM) are not `instanceof Error`. */
function firstLine(cause: unknown): string {
  const message = (cause as { message?: unknown } | null)?.message;
  return (typeof message === 'string' ? message : String(cause)).split('\n')[0] ?? '';
}

/** Start-up failed at one step: what already started has been stopped; `message` is the one-line reason. */
export class StartupError extends Error {
  constructor(
    readonly step: string,
    cause: unknown,
  ) {
    super(`${step} failed: ${firstLine(cause)}`, { cause });
    this.name = 'StartupError';
  }
}

/**
 * The parts a hub has started, each with how to stop it. They stop in reverse order, and a step that
 * fails stops everything started before it, so a half-started hub never keeps a port, a connection or a
 * private redis-server alive.
 */
export class StartedParts {
  private readonly stops: { name: string; stop: () => Promise<void> }[] = [];

  /** Runs one step; on failure, stops what started before it and throws a StartupError naming the step. */
  async step<T>(name: string, start: () => Promise<T>, stop?: (started: T) => Promise<void>): Promise<T> {
    let started: T;
    try {
      started = await start();
    } catch (error) {
      await this.stopAll().catch(() => undefined);
      throw error instanceof StartupError ? error : new StartupError(name, error);
    }
    if (stop) this.stops.push({ name, stop: () => stop(started) });
    return started;
  }

  /** Stops every part in reverse order; a part that fails to stop does not keep the others running. */
  async stopAll(): Promise<void> {
    const failures: unknown[] = [];
    for (const part of this.stops.splice(0).reverse()) {
      await part.stop().catch((error: unknown) => failures.push(new Error(`stopping ${part.name} failed`, { cause: error })));
    }
    if (failures.length > 0) throw new AggregateError(failures, failures.map((f) => (f as Error).message).join('; '));
  }
}
