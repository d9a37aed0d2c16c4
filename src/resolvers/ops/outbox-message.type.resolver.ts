import type { OutboxMessageResolvers } from '../../generated/graphql';

export const OutboxMessage: OutboxMessageResolvers = {
  payload: (row) => JSON.stringify(row.payload),
  headers: (row) => JSON.stringify(row.headers),
};
