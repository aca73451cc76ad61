import t from 'tap';
import { helloHub, startTestUpstream } from './fixtures/hub.js';

const authorize = (id: string, params: unknown) => ({
  type: 'request',
  id,
  method: 'entry.authorize',
  params,
});

t.test('a shopper with a valid credential is let in with the party size asked for', async (t) => {
  const { upstream, lines } = await startTestUpstream(t, { denyCredentials: ['qr-stolen'] });
  const { hub } = await helloHub(upstream.url);
  hub.send(
    authorize('r1', { gateId: 'gate-in', credentialKind: 'qr', credentialRef: 'qr-ok', partySize: 3 }),
  );
  t.same(await hub.next('response'), { type: 'response', id: 'r1', result: { allow: true, partySize: 3 } });
  hub.send(authorize('r2', { gateId: 'gate-in', credentialKind: 'palm', credentialRef: 'palm-ok' }));
  t.same(
    await hub.next('response'),
    { type: 'response', id: 'r2', result: { allow: true, partySize: 1 } },
    'a party of one when the hub does not say',
  );
  t.match(lines.join('\n'), /request entry.authorize → gate gate-in qr: allow, party of 3/);
  await hub.close();
});

t.test('a credential on the deny list is refused with a reason, and the ref is not printed', async (t) => {
  const { upstream, lines } = await startTestUpstream(t, { denyCredentials: ['qr-stolen'] });
  const { hub } = await helloHub(upstream.url);
  hub.send(authorize('r1', { gateId: 'gate-in', credentialKind: 'qr', credentialRef: 'qr-stolen' }));
  t.same(await hub.next('response'), {
    type: 'response',
    id: 'r1',
    result: { allow: false, reason: 'credential is on the deny list' },
  });
  t.match(lines.join('\n'), /gate gate-in qr: deny/);
  t.notMatch(lines.join('\n'), /qr-stolen/);
  await hub.close();
});

t.test('an unknown method gets error unknown_method', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const { hub } = await helloHub(upstream.url);
  hub.send({ type: 'request', id: 'r9', method: 'shelf.price', params: {} });
  t.match(await hub.next('response'), { type: 'response', id: 'r9', error: { code: 'unknown_method' } });
  await hub.close();
});

t.test('entry.authorize with invalid params gets error bad_request naming the field', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const { hub } = await helloHub(upstream.url);
  hub.send(authorize('r1', { gateId: 'gate-in', credentialKind: 'iris', credentialRef: 'x' }));
  t.match(await hub.next('response'), {
    id: 'r1',
    error: { code: 'bad_request', message: /^params.credentialKind: / },
  });
  hub.send({ type: 'request', id: 'r2', method: 'entry.authorize' });
  t.match(await hub.next('response'), { id: 'r2', error: { code: 'bad_request' } }, 'no params at all');
  t.equal(upstream.stats('hub-test-01').invalidFrames, 0, 'a bad request is answered, not counted as abuse');
  await hub.close();
});
