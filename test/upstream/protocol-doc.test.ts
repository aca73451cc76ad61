import { readFileSync } from 'node:fs';
import t from 'tap';
import { eventCatalogue, eventKinds } from '../../src/events/catalogue.js';

const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');

/** The text of the doc's `### \`kind\`` section, up to the next heading. */
function section(kind: string): string | undefined {
  const start = doc.indexOf(`### \`${kind}\`\n`);
  if (start < 0) return undefined;
  const end = doc.indexOf('\n#', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

t.test('docs/protocol.md describes every event kind of the catalogue with every data field', async (t) => {
  for (const kind of eventKinds) {
    const text = section(kind);
    if (!t.ok(text, `a section for ${kind}`) || !text) continue;
    for (const field of Object.keys(eventCatalogue[kind].shape)) {
      t.match(text, `\`${field}\``, `${kind} names its field ${field}`);
    }
  }
});

t.test('docs/protocol.md describes every frame type and close code the upstream uses', async (t) => {
  for (const type of [
    'hello',
    'welcome',
    'event',
    'ack',
    'request',
    'response',
    'command',
    'command.result',
  ]) {
    t.match(doc, new RegExp(`"type": ?"${type.replace('.', '\\.')}"`), `an example of ${type}`);
  }
  for (const code of [1001, 1008, 1009, 1011, 4001]) t.match(doc, `| ${code} |`, `close code ${code}`);
});
