import type { AppConfig } from '../../config';
import { mintToken } from '../../infra/auth/jwt';

/** Where to connect and with which token, plus what to say if the server refuses it. */
export interface Credentials {
  url: string;
  token: string;
  /** Shown after "the server refused the token" to point at the likely cause. */
  tokenHint: string;
}

export interface CredentialSources {
  url?: string;
  token?: string;
  user: string;
  env: Record<string, string | undefined>;
  /** Only called when a default is needed, so --url plus --token work without a valid server config. */
  loadConfig: () => AppConfig;
  notice: (line: string) => void;
}

/** A day, like `npm run token`: an interactive session should not be cut off after an hour. */
const DEV_TOKEN_TTL_SECONDS = 86_400;

const devToken = async (sources: CredentialSources) => {
  const { auth } = sources.loadConfig();
  const token = await mintToken(auth, { userId: sources.user, roles: ['user'], ttlSeconds: DEV_TOKEN_TTL_SECONDS });
  const secret = auth.usingDevSecret ? 'the built-in development JWT secret' : 'JWT_SECRET';
  sources.notice(
    `no --token or AGENT_RELAY_TOKEN: using a development token for user "${sources.user}" signed with ${secret}`,
  );
  return { token, tokenHint: 'the token was minted locally: does JWT_SECRET match the server\u2019s?' };
};

/** Token precedence: --token, then AGENT_RELAY_TOKEN, then a locally minted development token. */
export const resolveCredentials = async (sources: CredentialSources): Promise<Credentials> => {
  const url = sources.url ?? `ws://127.0.0.1:${sources.loadConfig().http.port}/graphql`;
  const envToken = sources.env['AGENT_RELAY_TOKEN']?.trim();
  if (sources.token)
    return { url, token: sources.token, tokenHint: 'check --token (expired, or signed with another secret?)' };
  if (envToken)
    return { url, token: envToken, tokenHint: 'check AGENT_RELAY_TOKEN (expired, or signed with another secret?)' };
  return { url, ...(await devToken(sources)) };
};
