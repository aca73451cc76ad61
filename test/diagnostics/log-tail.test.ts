// The daemon's last log lines for the diagnostics page: every line passes on to journald unchanged,
// and the ones at info or above are kept, with the part and device they name, and told to the page.
import t from 'tap';
import { type LogLine, LogTail } from '../../src/diagnostics/log-tail.js';
import { createLogger } from '../../src/system/log.js';

/** A destination that remembers what reached it, as stdout would print it. */
function sink() {
  const written: string[] = [];
  return { written, write: (text: string) => void written.push(text) };
}

const record = (fields: Record<string, unknown>) =>
  `${JSON.stringify({ time: '2025-01-01T00:00:00.000Z', ...fields })}\n`;

t.test('every line reaches journald unchanged, whatever its level or shape', async (t) => {
  const next = sink();
  const tail = new LogTail(next);
  const lines = [
    record({ level: 'debug', msg: 'sample batch' }),
    record({ level: 'info', msg: 'uplink connected' }),
    'not json at all\n',
    record({ level: 'error', msg: 'board lost', boardId: 'mod-1' }),
  ];
  for (const line of lines) tail.write(line);
  t.same(next.written, lines);
});

t.test('only info, warn, error and fatal lines are kept and told to listeners', async (t) => {
  const tail = new LogTail();
  const heard: LogLine[] = [];
  tail.listen((line) => heard.push(line));
  for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'])
    tail.write(record({ level, msg: `a ${level} line` }));
  tail.write(record({ level: 30, msg: 'a numeric level, as pino writes without its formatter' }));
  const expected = ['info', 'warn', 'error', 'fatal'].map((level) => ({
    time: '2025-01-01T00:00:00.000Z',
    level,
    msg: `a ${level} line`,
  }));
  t.same(tail.recent(), expected);
  t.same(heard, expected, 'the listener heard the same lines');
});

t.test('the part and the device a line names are picked up', async (t) => {
  const tail = new LogTail();
  const keys = ['deviceId', 'scannerId', 'gateId', 'shelfId', 'busId', 'boardId', 'linkId'];
  for (const key of keys)
    tail.write(record({ level: 'warn', msg: key, part: 'devices', [key]: `dev-${key}` }));
  tail.write(record({ level: 'info', msg: 'neither' }));
  tail.write(record({ level: 'info', msg: 'not strings', part: 7, gateId: 3 }));
  const recent = tail.recent();
  t.same(
    recent.slice(0, keys.length).map((l) => [l.part, l.deviceId]),
    keys.map((key) => ['devices', `dev-${key}`]),
  );
  t.same(recent.at(-2), { time: '2025-01-01T00:00:00.000Z', level: 'info', msg: 'neither' });
  t.same(recent.at(-1), { time: '2025-01-01T00:00:00.000Z', level: 'info', msg: 'not strings' });
});

t.test('a line that is not JSON passes on but is not kept', async (t) => {
  const next = sink();
  const tail = new LogTail(next);
  const heard: LogLine[] = [];
  tail.listen((line) => heard.push(line));
  tail.write('Error: something printed by hand\n');
  tail.write('{"level":"info","msg":"cut sh');
  t.equal(next.written.length, 2);
  t.same(tail.recent(), []);
  t.same(heard, []);
});

t.test('only the last `size` lines are kept', async (t) => {
  const tail = new LogTail(undefined, 3);
  for (let i = 1; i <= 5; i++) tail.write(record({ level: 'info', msg: `line ${i}` }));
  t.same(
    tail.recent().map((l) => l.msg),
    ['line 3', 'line 4', 'line 5'],
  );
});

t.test('a listener that unsubscribes hears nothing more', async (t) => {
  const tail = new LogTail();
  const heard: string[] = [];
  const stop = tail.listen((line) => heard.push(line.msg));
  tail.write(record({ level: 'info', msg: 'before' }));
  stop();
  tail.write(record({ level: 'info', msg: 'after' }));
  t.same(heard, ['before']);
  t.same(
    tail.recent().map((l) => l.msg),
    ['before', 'after'],
    'still kept',
  );
});

t.test('through the real logger: levels as names, the part, and a secret never shown', async (t) => {
  const next = sink();
  const tail = new LogTail(next);
  const log = createLogger('info', tail);
  log.child({ part: 'uplink' }).warn({ token: 'abc-secret-123', linkId: 'cloud' }, 'token refused');
  log.debug('too quiet to keep');
  const recent = tail.recent();
  t.equal(recent.length, 1, 'debug is below the logger level');
  t.match(recent[0], { level: 'warn', msg: 'token refused', part: 'uplink', deviceId: 'cloud' });
  t.match(recent[0]?.time, /^\d{4}-\d\d-\d\dT/, 'an ISO time');
  t.notMatch(JSON.stringify(recent), /abc-secret-123/, 'the kept line does not carry the token');
  t.notMatch(next.written.join(''), /abc-secret-123/, 'nor does journald');
  t.match(next.written.join(''), /"token":"\[redacted\]"/);
});
