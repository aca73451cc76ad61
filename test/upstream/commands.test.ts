import { once } from 'node:events';
import t from 'tap';
import { CommandError } from '../../src/upstream/server.js';
import { helloHub, startTestUpstream } from './fixtures/hub.js';

t.test('a command reaches the hub and its result comes back to the caller', async (t) => {
  const { upstream, lines } = await startTestUpstream(t);
  const { hub } = await helloHub(upstream.url, 'hub-sim-01');
  const pending = upstream.sendCommand('hub-sim-01', 'gate.unlock', { gateId: 'gate-in' }, 2000);
  const command = await hub.next('command');
  t.match(command, { type: 'command', id: String, name: 'gate.unlock', args: { gateId: 'gate-in' } });
  hub.send({ type: 'command.result', id: command.id, ok: true, result: { unlockedForMs: 5000 } });
  t.same(await pending, {
    type: 'command.result',
    id: command.id,
    ok: true,
    result: { unlockedForMs: 5000 },
  });
  t.match(lines.join('\n'), /command gate.unlock \{"gateId":"gate-in"\} sent/);
  t.match(lines.join('\n'), /command gate.unlock → ok \{"unlockedForMs":5000\}/);
  await hub.close();
});

t.test('a command the hub refuses resolves with ok false and the hub error', async (t) => {
  const { upstream, lines } = await startTestUpstream(t);
  const { hub } = await helloHub(upstream.url);
  const pending = upstream.sendCommand('hub-test-01', 'shelf.tare');
  const command = await hub.next('command');
  t.same(command.args, {}, 'args default to an empty object');
  const error = { code: 'unknown_device', message: 'no shelf s9' };
  hub.send({ type: 'command.result', id: command.id, ok: false, error });
  t.same(await pending, { type: 'command.result', id: command.id, ok: false, error });
  t.match(lines.join('\n'), /command shelf.tare → failed: unknown_device no shelf s9/);
  await hub.close();
});

t.test('a command to a hub that is not connected is rejected at once with not_connected', async (t) => {
  const { upstream } = await startTestUpstream(t);
  await t.rejects(upstream.sendCommand('hub-away', 'gate.unlock', {}, 1000), {
    name: 'CommandError',
    code: 'not_connected',
  });
});

t.test(
  'a command the hub never answers is rejected with timeout, and a late result is ignored',
  async (t) => {
    const { upstream, lines } = await startTestUpstream(t);
    const { hub } = await helloHub(upstream.url);
    const pending = upstream.sendCommand('hub-test-01', 'store.mode', { mode: 'closed' }, 30);
    const command = await hub.next('command');
    const err = await pending.catch((e: unknown) => e);
    t.ok(err instanceof CommandError);
    t.match(err, { code: 'timeout', message: /did not answer store.mode within 30 ms/ });
    hub.send({ type: 'command.result', id: command.id, ok: true });
    hub.send({ type: 'request', id: 'sync', method: 'nothing' });
    await hub.next('response');
    t.match(lines.join('\n'), /command store.mode → no answer within 30 ms/);
    t.match(lines.join('\n'), /command.result for .* arrived after its command timed out; ignored/);
    t.equal(upstream.stats('hub-test-01').invalidFrames, 0, 'a late result is not abuse');
    await hub.close();
  },
);

t.test('a command whose hub disconnects before answering is rejected with disconnected', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const { hub } = await helloHub(upstream.url);
  const pending = upstream.sendCommand('hub-test-01', 'gate.unlock', {}, 5000);
  await hub.next('command');
  hub.ws.terminate();
  await t.rejects(pending, { code: 'disconnected' });
});

t.test('a command.result without ok is an invalid frame', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const { hub } = await helloHub(upstream.url);
  const invalid = once(upstream, 'invalid');
  hub.send({ type: 'command.result', id: 'x' });
  t.match((await invalid)[0], { reason: /^bad "command.result" frame/ });
  await hub.close();
});

t.test('no command is sent once the upstream is closing', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const { hub } = await helloHub(upstream.url);
  const pending = upstream.sendCommand('hub-test-01', 'gate.unlock', {}, 5000);
  await hub.next('command');
  const failed = t.rejects(pending, { code: 'closing' }, 'a waiting command fails when the upstream closes');
  await upstream.close();
  await failed;
  await t.rejects(upstream.sendCommand('hub-test-01', 'gate.unlock'), { code: 'closing' });
});
