/**
 * A channel's own durable jobs: what it writes with `Outbox.enqueue(queue, …)` is processed here, in the
 * workers, through the same error mapping as core's queues (a PermanentDeliveryError is not retried, a
 * RetryableDeliveryError with a retry-after waits for it, anything else is retried with backoff).
 */
export interface ChannelJobs {
  readonly queue: string;
  process(name: string, data: unknown, attempt: JobAttempt): Promise<void>;
  /**
   * Puts back on the queue what the database says is still to do (delayed jobs whose Redis data was
   * lost), when the workers start; it must add no job that is there already.
   */
  reconcile?(): Promise<void>;
}

export interface JobAttempt {
  /** No retry follows if this throws, so whoever waits for the outcome should be told. */
  lastAttempt: boolean;
  /**
   * Replaces the job's data for its retries: work that must not be redone (an answer already decided)
   * is recorded before the step that may fail.
   */
  keep: (data: unknown) => Promise<void>;
}
