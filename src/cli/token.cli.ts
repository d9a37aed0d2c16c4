import { parseArgs } from 'node:util';
import { isRole, ROLES } from '../domain/identity';
import { mintToken } from '../infra/auth/jwt';
import { loadConfigOrExit } from './load-config-or-exit';

/** `npm run token -- --user 42 [--role ops] [--ttl 3600]`: a development token signed with JWT_SECRET. */
const main = async () => {
  const { values } = parseArgs({
    options: {
      user: { type: 'string', short: 'u' },
      role: { type: 'string', short: 'r', multiple: true },
      ttl: { type: 'string', default: '86400' },
    },
  });
  const roles = values.role ?? [];
  const bad = roles.filter((role) => !isRole(role));
  const ttlSeconds = Number(values.ttl);
  if (!values.user || bad.length > 0 || !Number.isInteger(ttlSeconds)) {
    console.error('usage: npm run token -- --user <id> [--role ops] [--ttl <seconds>]');
    if (bad.length > 0) console.error(`unknown role(s): ${bad.join(', ')}; roles are ${ROLES.join(' and ')}`);
    process.exit(1);
  }
  const { auth } = loadConfigOrExit();
  process.stdout.write(
    `${await mintToken(auth, { userId: values.user, roles: ['user', ...roles.filter(isRole).filter((role) => role !== 'user')], ttlSeconds })}\n`,
  );
};

void main();
