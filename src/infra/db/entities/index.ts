import { ChatMessageSchema } from './chat-message.entity';
import { ChatTurnSchema } from './chat-turn.entity';
import { ConversationSchema } from './conversation.entity';
import { OutboxMessageSchema } from './outbox-message.entity';

export const entities = [ConversationSchema, ChatMessageSchema, OutboxMessageSchema, ChatTurnSchema];
