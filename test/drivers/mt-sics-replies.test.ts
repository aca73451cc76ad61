// MT-SICS replies as a scale sends them, byte for byte. Formats from the MT-SICS Reference Manual
// (Mettler Toledo, "MT-SICS Interface Commands"): §2.1.2.1 "Format of responses with weight value"
// (ID, status S or D, weight right-aligned in a 10-character field, unit), §2.1.3.2 "General error
// messages" (ES, ET, EL), §2.1.3.3 "Specific error messages on weight response" (S I, S +, S -), and
// the command pages for @ (answered by I4 A "<serial number>"), SI and Z (Z A, Z I, Z +, Z -).
import t from 'tap';
import { LineSplitter, parseSicsReply } from '../../src/drivers/weight/mt-sics-replies.js';

t.test('stable and dynamic weights in every unit the hub converts', async (t) => {
  t.same(parseSicsReply('S S     100.00 g'), { kind: 'weight', stable: true, grams: 100 });
  t.same(parseSicsReply('S D      12.34 g'), { kind: 'weight', stable: false, grams: 12.34 });
  t.same(parseSicsReply('S S     -0.012 kg'), { kind: 'weight', stable: true, grams: -12 });
  t.same(parseSicsReply('S S    1500.0 mg'), { kind: 'weight', stable: true, grams: 1.5 });
  t.same(parseSicsReply('S S       2.000 lb'), { kind: 'weight', stable: true, grams: 907.18474 });
  t.same(parseSicsReply('S S      16 oz'), { kind: 'weight', stable: true, grams: 453.59237 });
  t.same(
    parseSicsReply('S S    -  5.5 g'),
    { kind: 'weight', stable: true, grams: -5.5 },
    'a sign set apart',
  );
});

t.test('a weight in a unit the hub does not convert is refused with the fix', async (t) => {
  t.same(parseSicsReply('S S      10.00 ct'), {
    kind: 'malformed',
    reason: 'unit "ct" is not supported: set the scale to g',
  });
  t.same(parseSicsReply('S S      10.00 constructor').kind, 'malformed');
});

t.test('busy, overload and underload answers', async (t) => {
  t.same(parseSicsReply('S I'), { kind: 'busy' });
  t.same(parseSicsReply('S +'), { kind: 'overload' });
  t.same(parseSicsReply('S -'), { kind: 'underload' });
});

t.test('the reset answer carries the serial number', async (t) => {
  t.same(parseSicsReply('I4 A "B123456789"'), { kind: 'reset', serial: 'B123456789' });
  t.same(parseSicsReply('I4 A ""'), { kind: 'reset', serial: '' });
});

t.test('zero outcomes', async (t) => {
  t.same(parseSicsReply('Z A'), { kind: 'zero', outcome: 'done' });
  t.same(parseSicsReply('Z I'), { kind: 'zero', outcome: 'busy' });
  t.same(parseSicsReply('Z +'), { kind: 'zero', outcome: 'above-range' });
  t.same(parseSicsReply('Z -'), { kind: 'zero', outcome: 'below-range' });
  t.equal(parseSicsReply('Z constructor').kind, 'malformed');
});

t.test('syntax, transmission and logical errors', async (t) => {
  t.same(parseSicsReply('ES'), { kind: 'error', code: 'ES' });
  t.same(parseSicsReply('ET'), { kind: 'error', code: 'ET' });
  t.same(parseSicsReply('EL'), { kind: 'error', code: 'EL' });
});

t.test('anything else is malformed', async (t) => {
  for (const line of [
    '',
    'S',
    'S S',
    'S S 1,5 g',
    'S X 12.0 g',
    's s 12.0 g',
    'S S 12.0',
    'EX',
    'I4 A B12',
    'S I x',
  ]) {
    t.equal(parseSicsReply(line).kind, 'malformed', JSON.stringify(line));
  }
});

t.test('lines are split at LF, a CR before it dropped, across any chunking', async (t) => {
  const text = 'S S      1.00 g\r\nS I\r\nZ A\r\n';
  for (let cut = 0; cut <= text.length; cut++) {
    const lines: string[] = [];
    const splitter = new LineSplitter(
      64,
      (l) => lines.push(l),
      () => lines.push('TOO LONG'),
    );
    splitter.push(Buffer.from(text.slice(0, cut), 'latin1'));
    splitter.push(Buffer.from(text.slice(cut), 'latin1'));
    t.same(lines, ['S S      1.00 g', 'S I', 'Z A'], `cut at ${cut}`);
  }
});

t.test(
  'an over-long line is reported once and the next line is read; reset forgets a partial line',
  async (t) => {
    const lines: string[] = [];
    const splitter = new LineSplitter(
      16,
      (l) => lines.push(l),
      () => lines.push('TOO LONG'),
    );
    splitter.push(Buffer.from('x'.repeat(10)));
    splitter.push(Buffer.from('x'.repeat(10)));
    splitter.push(Buffer.from('x'.repeat(100)));
    splitter.push(Buffer.from('\r\nS I\r\n'));
    splitter.push(Buffer.from(`${'y'.repeat(20)}\nZ A\n`));
    splitter.push(Buffer.from('S S 1 g'));
    splitter.reset();
    splitter.push(Buffer.from('S +\r\n'));
    t.same(lines, ['TOO LONG', 'S I', 'TOO LONG', 'Z A', 'S +']);
  },
);
