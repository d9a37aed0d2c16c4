import { ChatMessageSchema } from './chat-message.entity';
import { ConversationSchema } from './conversation.entity';
import { OutboxMessageSchema } from './outbox-message.entity';

export const entities = [ConversationSchema, ChatMessageSchema, OutboxMessageSchema];
