/**
 * A channel's own durable jobs: what it writes with `Outbox.enqueue(queue, …)` is processed here, in the
 * workers, through the same error mapping as core's queues (a PermanentDeliveryError is not retried, a
 * RetryableDeliveryError with a retry-after waits for it, anything else is retried with backoff).
 */
export interface ChannelJobs {
  readonly queue: string;
  /** `lastAttempt`: no retry follows if this throws, so whoever waits for the outcome should be told. */
  process(name: string, data: unknown, attempt: { lastAttempt: boolean }): Promise<void>;
}
