import fs from 'node:fs';
import path from 'node:path';
import * as outbox from '../../src/infra/db/outbox';

const ROOT = path.resolve(__dirname, '..', '..');
const ENTRY = 'src/infra/db/outbox/index.ts';

/** The leading identifier of each `code span` in a text (`enqueueOutbox(em, event)` → enqueueOutbox). */
const namesInCodeSpans = (text: string) =>
  [...text.matchAll(/`([A-Za-z_$][\w$]*)[^`]*`/g)].map((match) => match[1] ?? '');

/**
 * The outbox's public entry is what other MikroORM applications copy from: every name its doc
 * comment and the docs' example tell them to use must be one it exports (the comment once said
 * `outboxEntities` for the `outboxEntity` export).
 */
describe('the outbox public entry', () => {
  it('names only its own exports in its doc comment', () => {
    const source = fs.readFileSync(path.join(ROOT, ENTRY), 'utf8');
    const header = source.slice(0, source.indexOf('*/'));
    const named = namesInCodeSpans(header);
    expect(named).toEqual(expect.arrayContaining(['outboxEntity', 'createOutboxCommitSubscriber', 'enqueueOutbox']));
    expect(named.filter((name) => !(name in outbox))).toEqual([]);
  });

  it('docs/outbox.md imports only what it exports', () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs', 'outbox.md'), 'utf8');
    const imports = [...doc.matchAll(/import \{([^}]+)\} from '\.\/infra\/db\/outbox'/g)].flatMap((match) =>
      (match[1] ?? '').split(',').map((name) => name.trim()),
    );
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((name) => !(name in outbox))).toEqual([]);
  });
});
