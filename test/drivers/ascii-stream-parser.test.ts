// The ascii-stream v1 grammar, byte by byte: what a board may send, and what is counted and dropped.
import t from 'tap';
import { type AsciiStreamFormat, AsciiStreamParser } from '../../src/drivers/weight/ascii-stream-parser.js';

interface Heard {
  samples: { seq: number; values: number[]; rejected: number }[];
  messages: string[];
  malformed: { reason: string; line: string }[];
}

const fourChannels: AsciiStreamFormat = { channels: 4, range: { min: -8_388_608, max: 8_388_607 } };

function parserFor(format: AsciiStreamFormat = fourChannels) {
  const heard: Heard = { samples: [], messages: [], malformed: [] };
  const parser = new AsciiStreamParser(format, {
    sample: (seq, values, rejected) => heard.samples.push({ seq, values: [...values], rejected }),
    message: (text) => heard.messages.push(text),
    malformed: (reason, line) => heard.malformed.push({ reason, line }),
  });
  return {
    parser,
    heard,
    feed: (...chunks: (string | number[])[]) => {
      for (const chunk of chunks) parser.push(bytes(chunk));
    },
  };
}

const bytes = (chunk: string | number[]) =>
  typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : Uint8Array.from(chunk);

t.test('a well-formed line gives one sample with every channel', async (t) => {
  const { heard, feed } = parserFor();
  feed('\n17,120,-3,0,8388607\n');
  t.same(heard.samples, [{ seq: 17, values: [120, -3, 0, 8388607], rejected: 0 }]);
  t.same(heard.malformed, []);
});

t.test('the tail of a line the port opened into is skipped without counting it', async (t) => {
  const { heard, feed } = parserFor();
  // "12345,1,2,3,4" cut inside the seq would otherwise read as seq 45.
  feed('45,1,2,3,4\n12346,1,2,3,4\n');
  t.same(
    heard.samples.map((s) => s.seq),
    [12346],
  );
  t.same(heard.malformed, []);
});

t.test('a line split across chunks at any byte is put back together', async (t) => {
  const line = '4294967295,1.5,-2.25,3,4\r\n';
  for (let cut = 0; cut <= line.length; cut++) {
    const { heard, feed } = parserFor();
    feed('\n', line.slice(0, cut), line.slice(cut));
    t.same(heard.samples, [{ seq: 4294967295, values: [1.5, -2.25, 3, 4], rejected: 0 }], `cut at ${cut}`);
  }
});

t.test('CR LF and LF endings read the same; a CR elsewhere is garbage', async (t) => {
  const { heard, feed } = parserFor();
  feed('\n1,1,2,3,4\r\n2,1,2,3,4\n3,1,2\r,3,4\n');
  t.same(
    heard.samples.map((s) => s.seq),
    [1, 2],
  );
  t.same(heard.malformed, [{ reason: 'value 2 is not a number: "2\\x0d"', line: '3,1,2\\x0d,3,4' }]);
});

t.test('spaces and tabs around numbers are accepted', async (t) => {
  const { heard, feed } = parserFor();
  feed('\n  7 ,\t1 , 2,3 ,  4\t\r\n');
  t.same(heard.samples, [{ seq: 7, values: [1, 2, 3, 4], rejected: 0 }]);
});

t.test('numbers are plain decimals: +5, 1e3, .5, 5., hex and empty values drop the line', async (t) => {
  const { heard, feed } = parserFor();
  feed('\n1,+5,0,0,0\n', '2,1e3,0,0,0\n', '3,.5,0,0,0\n', '4,5.,0,0,0\n', '5,0x10,0,0,0\n', '6,,0,0,0\n');
  feed('7,1 2,0,0,0\n', '8,--1,0,0,0\n', '9,007,-0.000,10.25,-1\n');
  t.same(heard.samples, [{ seq: 9, values: [7, -0, 10.25, -1], rejected: 0 }]);
  t.same(
    heard.malformed.map((m) => m.reason),
    [
      'value 1 is not a number: "+5"',
      'value 1 is not a number: "1e3"',
      'value 1 is not a number: ".5"',
      'value 1 is not a number: "5."',
      'value 1 is not a number: "0x10"',
      'value 1 is not a number: ""',
      'value 1 is not a number: "1 2"',
      'value 1 is not a number: "--1"',
    ],
  );
});

t.test('nan marks a failed channel; inf and values outside the range are NaN too, and counted', async (t) => {
  const { heard, feed } = parserFor({ channels: 6, range: { min: -100, max: 5000 } });
  feed('\n1,nan,-nan,NAN,inf,-Inf,+inf\n2,-100,5000,-100.5,5000.01,-7,12\n');
  t.equal(heard.samples.length, 2);
  t.same(heard.samples[0]?.values.map(Number.isNaN), [true, true, true, true, true, true]);
  t.equal(heard.samples[0]?.rejected, 6);
  t.same(heard.samples[1]?.values.slice(0, 2), [-100, 5000], 'the range is inclusive');
  t.same(heard.samples[1]?.values.slice(2, 4).map(Number.isNaN), [true, true]);
  t.same(heard.samples[1]?.values.slice(4), [-7, 12]);
  t.equal(heard.samples[1]?.rejected, 2);
  t.same(heard.malformed, []);
});

t.test('digits too many to represent are out of range, not a crash', async (t) => {
  const { heard, feed } = parserFor({ channels: 1, range: { min: 0, max: 1e9 } });
  feed(`\n1,${'9'.repeat(400)}\n`);
  t.equal(heard.samples[0]?.rejected, 1);
  t.ok(Number.isNaN(heard.samples[0]?.values[0]));
});

t.test('a line with the wrong number of values is dropped and says how many it had', async (t) => {
  const { heard, feed } = parserFor();
  feed('\n1,1,2,3\n2,1,2,3,4,5\n3\n4,1,2,3,4\n');
  t.same(
    heard.samples.map((s) => s.seq),
    [4],
  );
  t.same(
    heard.malformed.map((m) => m.reason),
    ['3 values, expected 4', '5 values, expected 4', '0 values, expected 4'],
  );
  t.same(heard.malformed[0]?.line, '1,1,2,3');
});

t.test('the sequence number must be an unsigned 32-bit integer', async (t) => {
  const { heard, feed } = parserFor({ channels: 1, range: { min: 0, max: 10 } });
  feed('\n4294967296,1\n-1,1\n1.0,1\nx,1\n12345678901,1\n,1\n0,1\n');
  t.same(
    heard.samples.map((s) => s.seq),
    [0],
  );
  t.equal(heard.malformed.length, 6);
  t.match(heard.malformed[0]?.reason, /sequence number is not an integer from 0 to 4294967295/);
});

t.test('lines starting with # are board messages, passed on trimmed', async (t) => {
  const { heard, feed } = parserFor();
  feed(
    '\n# HX711 4ch v1.2  \r\n#\n#rate=80\n1,1,2,3,4\n',
    Buffer.from('# Wägezelle ok\n', 'utf8').toString('latin1'),
  );
  t.same(heard.messages, ['HX711 4ch v1.2', '', 'rate=80', 'Wägezelle ok']);
  t.equal(heard.samples.length, 1);
  t.same(heard.malformed, []);
});

t.test('blank lines are ignored; binary garbage is counted, shown escaped, and dropped', async (t) => {
  const { heard, feed } = parserFor({ channels: 1, range: { min: 0, max: 10 } });
  feed('\n\n  \r\n', [0x31, 0x2c, 0x00, 0xff, 0x0a], '2,3\n');
  t.same(heard.samples, [{ seq: 2, values: [3], rejected: 0 }]);
  t.same(heard.malformed, [{ reason: 'value 1 is not a number: "\\x00\\xff"', line: '1,\\x00\\xff' }]);
});

t.test('an over-long line is dropped whole, once, and the next line is read', async (t) => {
  const { heard, feed } = parserFor({ channels: 1, range: { min: 0, max: 10 }, maxLineBytes: 64 });
  const long = `1,${'5'.repeat(200)}`;
  feed('\n', long.slice(0, 50), long.slice(50, 120), long.slice(120), '\n2,3\n');
  t.same(
    heard.samples.map((s) => s.seq),
    [2],
  );
  t.equal(heard.malformed.length, 1);
  t.equal(heard.malformed[0]?.reason, 'line longer than 64 bytes');
  t.equal(heard.malformed[0]?.line, `1,${'5'.repeat(58)}…`, 'the log shows the start of it');
});

t.test('a line exactly as long as the cap is still read', async (t) => {
  const { heard, feed } = parserFor({ channels: 1, range: { min: 0, max: 1e20 }, maxLineBytes: 8 });
  feed('\n1,123456\n1,1234567\n2,1\n');
  t.same(
    heard.samples.map((s) => s.values[0]),
    [123456, 1],
  );
  t.same(
    heard.malformed.map((m) => m.reason),
    ['line longer than 8 bytes'],
  );
});

t.test('an endless line without LF never grows past the cap and never yields a sample', async (t) => {
  const { parser, heard } = parserFor({ channels: 1, range: { min: 0, max: 10 }, maxLineBytes: 128 });
  parser.push(bytes('\n'));
  for (let i = 0; i < 1000; i++) parser.push(bytes('1,1,1,1,1,1,1,'));
  t.same(heard.samples, []);
  t.same(heard.malformed, [], 'reported when it finally ends');
  parser.push(bytes('\n5,5\n'));
  t.equal(heard.malformed.length, 1);
  t.same(heard.samples, [{ seq: 5, values: [5], rejected: 0 }]);
});

t.test('after reset, a partial line is forgotten and reading resumes after the next LF', async (t) => {
  const { parser, heard, feed } = parserFor({ channels: 1, range: { min: 0, max: 10 } });
  feed('\n1,1\n2,');
  parser.reset();
  feed('3\n3,3\n');
  t.same(
    heard.samples.map((s) => s.seq),
    [1, 3],
  );
  t.same(heard.malformed, []);
});

t.test('many lines in one chunk come out in order', async (t) => {
  const { heard, feed } = parserFor({ channels: 2, range: { min: -1e6, max: 1e6 } });
  const lines = Array.from({ length: 500 }, (_, i) => `${i},${i * 2},${-i}\n`).join('');
  feed(`\n${lines}`);
  t.equal(heard.samples.length, 500);
  t.same(heard.samples[499], { seq: 499, values: [998, -499], rejected: 0 });
});
