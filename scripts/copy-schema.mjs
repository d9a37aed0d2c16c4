// tsc copies no assets; the server reads its SDL next to src/schema/type-defs.ts at run time.
import fs from 'node:fs';
import path from 'node:path';

const from = path.resolve('src/schema');
const to = path.resolve('dist/schema');
fs.mkdirSync(to, { recursive: true });
for (const file of fs.readdirSync(from).filter((name) => name.endsWith('.graphql'))) {
  fs.copyFileSync(path.join(from, file), path.join(to, file));
}
