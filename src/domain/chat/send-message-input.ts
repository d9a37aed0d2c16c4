import { AppError } from '../errors';
import { MODEL_CHOICES, type ModelChoice } from './chat-types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface RawSendMessageInput {
  readonly conversationId?: string | null;
  readonly content: string;
  readonly model?: string | null;
  readonly thinking?: boolean | null;
  readonly clientMessageId?: string | null;
}

export interface SendMessageCommand {
  readonly conversationId: string;
  readonly isNew: boolean;
  readonly content: string;
  readonly model: ModelChoice;
  readonly thinking: boolean;
  readonly clientMessageId: string | null;
}

/** A conversation or reply id from a client: a UUID, compared lower-case. */
export const normaliseId = (value: string, field: string): string => {
  const id = value.trim().toLowerCase();
  if (!UUID.test(id)) throw new AppError('BAD_USER_INPUT', `${field} must be a UUID`);
  return id;
};

/** Validates and normalises a send before anything is read or written. */
export const toSendMessageCommand = (
  raw: RawSendMessageInput,
  limits: { maxContentChars: number; newId: () => string },
): SendMessageCommand => {
  const content = raw.content.trim();
  if (content.length === 0) throw new AppError('BAD_USER_INPUT', 'content must not be empty');
  if (content.length > limits.maxContentChars)
    throw new AppError('BAD_USER_INPUT', `content is longer than ${limits.maxContentChars} characters`);
  const model = raw.model ?? 'WORKER';
  if (!(MODEL_CHOICES as readonly string[]).includes(model))
    throw new AppError('BAD_USER_INPUT', `unknown model ${model}`);
  // For both ids only null or absent means "none" (a new conversation; an old client without
  // idempotency): an empty string is a malformed id, refused.
  const given = raw.conversationId ?? null;
  const clientMessageId = raw.clientMessageId ?? null;
  return {
    conversationId: given === null ? limits.newId() : normaliseId(given, 'conversationId'),
    isNew: given === null,
    content,
    model: model as ModelChoice,
    thinking: raw.thinking ?? false,
    clientMessageId: clientMessageId === null ? null : normaliseId(clientMessageId, 'clientMessageId'),
  };
};
