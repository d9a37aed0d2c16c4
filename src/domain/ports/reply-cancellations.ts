/**
 * Requests to stop replies ("stop generating"), shared by every process of the deployment.
 * Guarantee: once `request` resolved, `isRequested` answers true for the reply for at least as
 * long as its reply stream is kept, and every generate worker running the reply at that moment
 * has been notified (best effort: a worker that misses the notification sees the flag when it
 * next starts the reply). Whether the reply ended is the database's answer (its turn), not this.
 */
export interface ReplyCancellations {
  /** Records the request and notifies the workers; 'already' when it had been requested before. */
  request(replyId: string): Promise<'requested' | 'already'>;
  isRequested(replyId: string): Promise<boolean>;
}
