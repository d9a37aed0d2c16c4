import { buildSchema, isInputObjectType, isInterfaceType, isObjectType, type GraphQLSchema } from 'graphql';
import { loadTypeDefs } from '../../src/schema/type-defs';
import { loadConfig } from '../../src/config';

/**
 * What the checked-out service offers, read from its own schema and config (the processes run
 * this same checkout), so the harness drives every version it meets and says plainly which
 * rehearsal the service cannot pass yet instead of failing on a validation error.
 */
export interface ServiceFeatures {
  /** SendMessageInput.clientMessageId: a client may retry a send safely. */
  readonly clientMessageId: boolean;
  /** ChatStreamEvent has ReplyRestarted: a reply may restart after its generator died. */
  readonly replyRestarted: boolean;
  /** A `generator` role exists: replies are generated outside the api process. */
  readonly generatorRole: boolean;
}

const hasInputField = (schema: GraphQLSchema, type: string, field: string) => {
  const named = schema.getType(type);
  return isInputObjectType(named) && field in named.getFields();
};

const implementsInterface = (schema: GraphQLSchema, type: string, iface: string) => {
  const named = schema.getType(type);
  const parent = schema.getType(iface);
  return isObjectType(named) && isInterfaceType(parent) && named.getInterfaces().some((i) => i.name === iface);
};

const acceptsRole = (role: string) => {
  const loaded = loadConfig({ ROLES: role, NODE_ENV: 'development' });
  return loaded.ok || !loaded.errors.some((e) => e.includes(`unknown role "${role}"`));
};

export const detectFeatures = (): ServiceFeatures => {
  const schema = buildSchema(loadTypeDefs().join('\n'));
  return {
    clientMessageId: hasInputField(schema, 'SendMessageInput', 'clientMessageId'),
    replyRestarted: implementsInterface(schema, 'ReplyRestarted', 'ChatStreamEvent'),
    generatorRole: acceptsRole('generator'),
  };
};
