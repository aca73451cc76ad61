import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { freshStore } from '../../src/machines/store.js';
import { palmSalt, StoreMemoryFile } from '../../src/machines/store-memory.js';
import { captureLog } from '../helpers/log-capture.js';

const remembered = {
  mode: 'closed' as const,
  emergency: 'latched' as const,
  emergencySource: 'drill',
  trips: [{ tripId: 't1', gateId: 'g', credentialKind: 'qr' as const, partySize: 2, entered: 1, inside: 1 }],
  occupancy: 1,
  strangers: 0,
};

t.test('what the store saves comes back, written after the present turn and once per turn', async (t) => {
  const dir = t.testdir();
  const file = new StoreMemoryFile(dir, captureLog().log);
  t.same(file.load(), freshStore, 'nothing saved yet: a fresh store');
  file.save({ ...freshStore, occupancy: 5 });
  file.save(remembered);
  t.throws(
    () => readFileSync(file.path),
    { code: 'ENOENT' },
    'not yet written: the gate is not kept waiting',
  );
  await new Promise((r) => setImmediate(r));
  t.same(JSON.parse(readFileSync(file.path, 'utf8')), remembered, 'the last state of the turn');
  t.same(new StoreMemoryFile(dir, captureLog().log).load(), remembered);
});

t.test('flush writes at once (the hub stopping)', async (t) => {
  const dir = t.testdir();
  const file = new StoreMemoryFile(dir, captureLog().log);
  file.save(remembered);
  file.flush();
  t.same(JSON.parse(readFileSync(file.path, 'utf8')), remembered);
});

t.test('a damaged file is reported and the store starts fresh, never crashes', async (t) => {
  const dir = t.testdir({ 'store.json': '{"mode":"party"}' });
  const capture = captureLog();
  t.same(new StoreMemoryFile(dir, capture.log).load(), freshStore);
  t.match(capture.text(), /damaged; starting empty/);
  const notJson = t.testdir({ 'store.json': 'garbage' });
  t.same(new StoreMemoryFile(notJson, capture.log).load(), freshStore);
});

t.test('a disk that refuses the write is logged, not thrown', async (t) => {
  const capture = captureLog();
  const file = new StoreMemoryFile(join(t.testdir(), 'no', 'such', 'dir'), capture.log);
  file.save(remembered);
  file.flush();
  t.match(capture.text(), /cannot save the store state/);
});

t.test('the palm salt is made once, kept private, and the same after a restart', async (t) => {
  const dir = t.testdir();
  const salt = palmSalt(dir);
  t.equal(salt.length, 32);
  t.equal(statSync(join(dir, 'palm-salt')).mode & 0o777, 0o600);
  t.same(palmSalt(dir), salt);
  writeFileSync(join(dir, 'palm-salt'), 'short');
  t.not(palmSalt(dir).toString('hex'), salt.toString('hex'), 'a truncated salt is replaced');
});
