import t from 'tap';
import { crc16, crcMatches } from '../../../src/drivers/weight/modbus/crc.js';
import {
  describeException,
  READ_HOLDING,
  READ_INPUT,
  ReplyReader,
  readRegisters,
  registersOf,
  replyShape,
  writeRegister,
  writeRegisters,
} from '../../../src/drivers/weight/modbus/frames.js';

const hex = (text: string) =>
  Uint8Array.from(text.split(/\s+/).filter(Boolean), (b) => Number.parseInt(b, 16));
const show = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');

t.test('CRC-16/MODBUS matches the published check values', async (t) => {
  t.equal(crc16(new TextEncoder().encode('123456789')), 0x4b37, 'the catalogue check value of "123456789"');
  t.equal(crc16(hex('01 03 00 00 00 0a')), 0xcdc5, 'read request 01 03 00 00 00 0A ends in C5 CD');
  t.equal(crc16(hex('11 03 00 6b 00 03')), 0x8776, 'the spec example 11 03 00 6B 00 03 ends in 76 87');
  t.equal(crc16(hex('ff 01 03 00 00 00 0a ff'), 1, 7), 0xcdc5, 'a slice of a buffer');
  t.equal(crc16(new Uint8Array(0)), 0xffff, 'nothing leaves the initial value');
  t.ok(crcMatches(hex('01 03 00 00 00 0a c5 cd'), 0, 8));
  t.notOk(crcMatches(hex('01 03 00 00 00 0a cd c5'), 0, 8), 'the CRC goes low byte first');
  t.notOk(crcMatches(hex('c5 cd'), 0, 2), 'two bytes are too short to be a frame');
});

t.test('requests are built byte-exact for the four functions a load-cell module needs', async (t) => {
  t.equal(show(readRegisters(1, READ_HOLDING, 0, 10)), '01 03 00 00 00 0a c5 cd');
  t.equal(show(readRegisters(0x11, READ_HOLDING, 0x6b, 3)), '11 03 00 6b 00 03 76 87');
  t.equal(show(readRegisters(0x11, READ_INPUT, 0x08, 1)), '11 04 00 08 00 01 b2 98');
  t.equal(show(writeRegister(0x11, 1, 3)), '11 06 00 01 00 03 9a 9b');
  t.equal(show(writeRegisters(0x11, 1, [0x000a, 0x0102])), '11 10 00 01 00 02 04 00 0a 01 02 c6 f0');
});

t.test('a request that cannot be sent is refused before it reaches the wire', async (t) => {
  t.throws(() => readRegisters(0, READ_HOLDING, 0, 1), /address must be 1-247, not 0/);
  t.throws(() => readRegisters(248, READ_HOLDING, 0, 1), /not 248/);
  t.throws(() => readRegisters(1, READ_HOLDING, 0, 126), /cannot read 126 registers/);
  t.throws(() => readRegisters(1, READ_HOLDING, 0xffff, 2), /cannot read 2 registers from 65535/);
  t.throws(() => readRegisters(1, READ_HOLDING, -1, 1), /start register must be 0-65535/);
  t.throws(() => writeRegister(1, 0, 0x10000), /value must be 0-65535/);
  t.throws(() => writeRegister(1, 1.5, 0), /register must be 0-65535/);
  t.throws(() => writeRegisters(1, 0, []), /cannot write 0 registers/);
  t.throws(() => writeRegisters(1, 0, [1, -2]), /value must be 0-65535, not -2/);
  t.throws(() => replyShape(hex('01 2b 0e 01 00')), /no reply shape for function 43/);
});

t.test('exception codes read in words', async (t) => {
  t.equal(describeException(2), 'exception 2 (illegal data address)');
  t.equal(describeException(6), 'exception 6 (device busy)');
  t.equal(describeException(0x42), 'exception 66');
});

const readRequest = readRegisters(0x11, READ_HOLDING, 0x6b, 3);
const goodReply = hex('11 03 06 ae 41 56 52 43 40 49 ad');

t.test('a read reply is found whole, or byte by byte as a slow line delivers it', async (t) => {
  const whole = new ReplyReader(replyShape(readRequest));
  const outcome = whole.push(goodReply);
  t.same(outcome, { kind: 'reply', frame: goodReply });
  t.same(Array.from(registersOf(goodReply)), [0xae41, 0x5652, 0x4340], 'its registers, big-endian words');
  t.equal(whole.skipped, 0);

  const trickle = new ReplyReader(replyShape(readRequest));
  for (let i = 0; i < goodReply.length - 1; i++)
    t.equal(trickle.push(goodReply.subarray(i, i + 1)), undefined);
  t.equal(trickle.held, goodReply.length - 1, 'an incomplete reply is held');
  t.same(
    trickle.push(goodReply.subarray(-1)),
    { kind: 'reply', frame: goodReply },
    'complete on its last byte',
  );
});

t.test(
  'the late reply of another module ahead of the answer is skipped, and the answer still found',
  async (t) => {
    const late = hex('12 03 06 00 11 03 06 00 00 aa bb');
    const reader = new ReplyReader(replyShape(readRequest));
    t.equal(reader.push(late), undefined, 'nothing in the late reply passes for the answer');
    t.same(reader.push(goodReply), { kind: 'reply', frame: goodReply });
    t.equal(reader.skipped, late.length, 'every byte of the late reply was dropped');
  },
);

t.test('a partial look-alike does not hide a complete answer behind it in the same chunk', async (t) => {
  const reader = new ReplyReader(replyShape(readRequest));
  // "11 03 06 …" starting at the junk byte would need 11 bytes; the real reply completes first.
  const outcome = reader.push(Uint8Array.of(0x11, 0x03, 0x06, ...goodReply));
  t.same(outcome, { kind: 'reply', frame: goodReply });
});

t.test('a reply with a bad CRC ends the exchange at once; one behind noise is passed over', async (t) => {
  const corrupt = goodReply.slice();
  corrupt[4] = (corrupt[4] as number) ^ 0x01;
  const first = new ReplyReader(replyShape(readRequest));
  t.same(first.push(corrupt), { kind: 'badCrc' }, 'a corrupted answer on its own');

  const behindNoise = new ReplyReader(replyShape(readRequest));
  t.equal(behindNoise.push(Uint8Array.of(0x00, ...corrupt)), undefined, 'may be a misaligned guess');
  t.ok(behindNoise.sawBadCrc, 'but it was seen');
  t.same(
    behindNoise.push(goodReply),
    { kind: 'reply', frame: goodReply },
    'a good reply after it still counts',
  );
});

t.test('an exception reply gives its code; a mangled one is a bad CRC', async (t) => {
  const reader = new ReplyReader(replyShape(readRequest));
  t.same(reader.push(hex('11 83 02 c1 34')), { kind: 'exception', code: 2 });
  t.same(new ReplyReader(replyShape(readRequest)).push(hex('11 83 02 c1 35')), { kind: 'badCrc' });
});

t.test('bytes after the reply are ignored and counted as skipped', async (t) => {
  const reader = new ReplyReader(replyShape(readRequest));
  t.same(reader.push(Uint8Array.of(...goodReply, 0xff, 0xfe)), { kind: 'reply', frame: goodReply });
  t.equal(reader.push(hex('01 02 03')), undefined, 'nothing more once answered');
  t.equal(reader.skipped, 5);
});

t.test('a write is answered only by its exact echo', async (t) => {
  const single = writeRegister(0x11, 1, 3);
  const wrongValue = writeRegister(0x11, 1, 4);
  const reader = new ReplyReader(replyShape(single));
  t.equal(reader.push(wrongValue), undefined, 'an echo of another value is not the answer');
  t.same(reader.push(single), { kind: 'reply', frame: single });

  const multiple = writeRegisters(0x11, 1, [0x000a, 0x0102]);
  const multiReader = new ReplyReader(replyShape(multiple));
  t.same(multiReader.push(hex('11 10 00 01 00 02 12 98')), {
    kind: 'reply',
    frame: hex('11 10 00 01 00 02 12 98'),
  });
});

t.test('the example exchange of docs/devices.md is byte-exact', async (t) => {
  const request = readRegisters(1, READ_HOLDING, 0, 9);
  t.equal(show(request), '01 03 00 00 00 09 85 cc');
  const reply = hex('01 03 12 00 00 00 64 00 00 00 c8 00 00 01 2c 00 00 01 90 00 00 6d 15');
  const outcome = new ReplyReader(replyShape(request)).push(reply);
  t.same(outcome, { kind: 'reply', frame: reply });
  t.same(Array.from(registersOf(reply)), [0, 100, 0, 200, 0, 300, 0, 400, 0]);
  t.equal(show(writeRegister(1, 16, 1)), '01 06 00 10 00 01 49 cf');
});
