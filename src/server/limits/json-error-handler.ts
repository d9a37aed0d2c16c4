import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../../infra/logger';

/**
 * Errors raised before GraphQL runs (body parsing) answered as GraphQL-shaped JSON with a code,
 * instead of express's HTML page: an oversized body is PAYLOAD_TOO_LARGE, bad JSON BAD_REQUEST.
 */
export const jsonErrorHandler =
  (logger: Logger): ErrorRequestHandler =>
  (error: { type?: string; status?: number }, _req, res, next) => {
    if (res.headersSent) return next(error);
    const [status, code, message] =
      error.type === 'entity.too.large'
        ? [413, 'PAYLOAD_TOO_LARGE', 'request body too large']
        : error.type === 'entity.parse.failed'
          ? [400, 'BAD_REQUEST', 'request body is not valid JSON']
          : [500, 'INTERNAL_SERVER_ERROR', 'Internal server error'];
    if (status === 500) logger.error({ err: error }, 'unhandled HTTP error');
    res.status(status).json({ errors: [{ message, extensions: { code } }] });
  };
