import { randomUUID } from 'node:crypto';

/** A short random suffix for per-test names (databases, topics, groups, queues, prefixes). */
export const uniqueSuffix = () => randomUUID().replace(/-/g, '').slice(0, 12);
