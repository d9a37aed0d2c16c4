import type { Principal } from '../domain/identity';
import type { Logger } from '../domain/ports/logger';
import type { ResponseBudget } from './response-budget';

/** Per-operation context for HTTP and WebSocket alike. The principal is always verified. */
export interface GraphQLContext {
  readonly principal: Principal;
  readonly requestId: string;
  readonly logger: Logger;
  /** W3C trace context of the request, carried into the outbox and Kafka headers. */
  readonly traceparent?: string;
  /** Response data this operation may still make the API hold (GRAPHQL_MAX_RESPONSE_BYTES). */
  readonly responseBudget: ResponseBudget;
}
