import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  identityCalibration,
  MAGIC,
  type RecordingHeader,
  RecordingWriter,
  readRecordingFile,
} from '../../src/recording/file.js';

const header: RecordingHeader = {
  shelfId: 'shelf-01',
  plates: 2,
  rateHz: 50,
  startedAt: '2026-11-24T07:00:00.000Z',
  calibration: [
    { slope: 0.241, offset: -569.45 },
    { slope: 1, offset: 0 },
  ],
};

t.test('a recording keeps every sample, its time, failed channels and the calibration', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'shelf-01.csv');
  const writer = new RecordingWriter(path, header);
  writer.write(1_000_000, 50, Float32Array.of(512.25, Number.NaN, 513, 2));
  writer.write(1_000_040, 50, Float32Array.of(514, 3));
  writer.close();
  t.equal(writer.samples, 3);
  const text = readFileSync(path, 'utf8');
  t.match(text, /^# store-gateway recording v1\n# \{"shelfId":"shelf-01"/);
  t.match(text, /\nt_ms,plate0,plate1\n1000000\.0,512\.25,nan\n1000020\.0,513,2\n1000040\.0,514,3\n$/);
  const back = readRecordingFile(path);
  t.same(back.header, header);
  t.same([...back.times], [1_000_000, 1_000_020, 1_000_040]);
  t.same([...back.values], [512.25, Number.NaN, 513, 2, 514, 3]);
});

t.test('a bad recording names the file and line of the first problem', async (t) => {
  const dir = t.testdir();
  const write = (name: string, body: string) => {
    const path = join(dir, name);
    writeFileSync(path, body);
    return path;
  };
  const head = `${MAGIC}\n# ${JSON.stringify(header)}\nt_ms,plate0,plate1\n`;
  t.throws(() => readRecordingFile(write('a.csv', 'hello\n')), /a\.csv:1: not a store-gateway recording/);
  t.throws(
    () => readRecordingFile(write('b.csv', `${MAGIC}\n# {"shelfId":1}\n`)),
    /b\.csv:2: bad recording header/,
  );
  t.throws(
    () => readRecordingFile(write('c.csv', `${MAGIC}\n# ${JSON.stringify({ ...header, plates: 3 })}\n`)),
    /c\.csv:2: 3 plates but 2 calibrations/,
  );
  t.throws(() => readRecordingFile(write('d.csv', `${head}1,2\n`)), /d\.csv:4: expected 3 values, found 2/);
  t.throws(
    () => readRecordingFile(write('e.csv', `${head}1,2,3\n0,2,3\n`)),
    /e\.csv:5: time "0" is not a number after/,
  );
  t.throws(
    () => readRecordingFile(write('f.csv', `${head}1,2,inf\n`)),
    /f\.csv:4: plate 1 value "inf" is not a number or nan/,
  );
  t.throws(() => readRecordingFile(write('g.csv', `${head}1,,3\n`)), /plate 0 value ""/);
  t.throws(
    () => new RecordingWriter(join(dir, 'h.csv'), { ...header, plates: 3 }),
    /one calibration per plate/,
  );
});

t.test('the default calibration reads grams as they are', async (t) => {
  t.same(identityCalibration(2), [
    { slope: 1, offset: 0 },
    { slope: 1, offset: 0 },
  ]);
});
