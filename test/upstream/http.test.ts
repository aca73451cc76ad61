import { connect } from 'node:net';
import t from 'tap';
import { api, helloHub, startTestUpstream, statusEvent } from './fixtures/hub.js';

t.test('the API refuses a request without the right token with 401, whatever the path', async (t) => {
  const { upstream, lines } = await startTestUpstream(t);
  for (const path of ['/hubs', '/hubs/hub-test-01/events', '/nowhere']) {
    const missing = await api(upstream, path, { token: null });
    t.equal(missing.status, 401, `${path} without a token`);
    t.equal(missing.headers.get('www-authenticate'), 'Bearer');
    const wrong = await api(upstream, path, { token: 'guess' });
    t.same(wrong, {
      ...wrong,
      status: 401,
      body: { error: { code: 'unauthorized', message: 'wrong token' } },
    });
  }
  t.match(lines.join('\n'), /http {2}refused \(401\): wrong token/);
  t.notMatch(lines.join('\n'), /guess/);
});

t.test('GET /hubs lists every hub seen, connected or not, with its counters', async (t) => {
  const { upstream } = await startTestUpstream(t);
  t.same((await api(upstream, '/hubs')).body, []);
  const { hub: a } = await helloHub(upstream.url, 'hub-a');
  const { hub: b } = await helloHub(upstream.url, 'hub-b');
  a.send(statusEvent(1));
  a.send(statusEvent(2));
  await a.ackedThrough(2);
  await b.close();
  const { status, body } = await api(upstream, '/hubs');
  t.equal(status, 200);
  t.match(body, [
    { hubId: 'hub-a', storeId: 'store-test', connected: true, ackedSeq: 2, events: 2, duplicates: 0 },
    { hubId: 'hub-b', connected: false, ackedSeq: 0, events: 0 },
  ]);
  await a.close();
});

t.test('GET /hubs/:hubId/events returns stored events in seq order, paged by after and limit', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const { hub } = await helloHub(upstream.url, 'hub/with space');
  for (let seq = 1; seq <= 12; seq++) hub.send(statusEvent(seq));
  await hub.ackedThrough(12);
  const path = `/hubs/${encodeURIComponent('hub/with space')}/events`;
  const all = await api(upstream, path);
  t.equal(all.status, 200);
  t.same(
    (all.body as { seq: number }[]).map((e) => e.seq),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
  );
  t.match((all.body as unknown[])[0], {
    seq: 1,
    id: String,
    time: String,
    kind: 'device.status',
    data: Object,
  });
  const page = await api(upstream, `${path}?after=5&limit=2`);
  t.same(
    (page.body as { seq: number }[]).map((e) => e.seq),
    [6, 7],
  );
  const capped = await api(upstream, `${path}?limit=99999999`);
  t.equal((capped.body as unknown[]).length, 12, 'a limit above 10,000 is capped, not refused');
  await hub.close();
});

t.test('events with a bad after or limit get 400; an unknown hub gets 404', async (t) => {
  const { upstream } = await startTestUpstream(t);
  await helloHub(upstream.url, 'hub-a').then(({ hub }) => hub.close());
  for (const query of ['after=-1', 'after=abc', 'limit=0', 'limit=1.5']) {
    t.match(await api(upstream, `/hubs/hub-a/events?${query}`), {
      status: 400,
      body: { error: { code: 'bad_request' } },
    });
  }
  t.match(await api(upstream, '/hubs/hub-nobody/events'), {
    status: 404,
    body: { error: { code: 'unknown_hub' } },
  });
  t.match(await api(upstream, '/hubs/%E0%A4%A/events'), { status: 404 }, 'a malformed escape in the path');
});

t.test('POST /hubs/:hubId/commands sends the command and answers with the command.result', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const { hub } = await helloHub(upstream.url, 'hub-sim-01');
  hub.ws.on('message', (data) => {
    const frame = JSON.parse(String(data));
    if (frame.type === 'command')
      hub.send({ type: 'command.result', id: frame.id, ok: true, result: frame.args });
  });
  const res = await api(upstream, '/hubs/hub-sim-01/commands', {
    method: 'POST',
    body: JSON.stringify({ name: 'gate.unlock', args: { gateId: 'gate-in' } }),
  });
  t.match(res, { status: 200, body: { type: 'command.result', ok: true, result: { gateId: 'gate-in' } } });
  await hub.close();
});

t.test(
  'POST a command to a hub that is not connected gets 404; one that never answers gets 504',
  async (t) => {
    const { upstream } = await startTestUpstream(t);
    const body = JSON.stringify({ name: 'shelf.tare', args: {}, timeoutMs: 30 });
    t.match(await api(upstream, '/hubs/hub-away/commands', { method: 'POST', body }), {
      status: 404,
      body: { error: { code: 'not_connected' } },
    });
    const { hub } = await helloHub(upstream.url, 'hub-silent');
    t.match(await api(upstream, '/hubs/hub-silent/commands', { method: 'POST', body }), {
      status: 504,
      body: { error: { code: 'timeout' } },
    });
    await hub.close();
  },
);

t.test('POST a command whose hub goes away before answering gets 502', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const { hub } = await helloHub(upstream.url, 'hub-flaky');
  hub.ws.on('message', (data) => {
    if (JSON.parse(String(data)).type === 'command') hub.ws.terminate();
  });
  const body = JSON.stringify({ name: 'gate.unlock' });
  t.match(await api(upstream, '/hubs/hub-flaky/commands', { method: 'POST', body }), {
    status: 502,
    body: { error: { code: 'disconnected' } },
  });
});

t.test('POST a command with a bad body gets 400 and sends nothing', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const { hub } = await helloHub(upstream.url, 'hub-sim-01');
  const post = (body: string) => api(upstream, '/hubs/hub-sim-01/commands', { method: 'POST', body });
  t.match(await post('{not json'), { status: 400, body: { error: { message: 'the body is not JSON' } } });
  t.match(await post('{"args":{}}'), {
    status: 400,
    body: { error: { code: 'bad_request', message: /^name: / } },
  });
  t.match(await post('{"name":"x","timeoutMs":-1}'), {
    status: 400,
    body: { error: { message: /^timeoutMs: / } },
  });
  t.match(await post('{"name":"x","extra":1}'), { status: 400 }, 'unknown keys are refused');
  t.match(await post('[]'), { status: 400, body: { error: { message: /^\(body\): / } } });
  t.same(
    hub.frames.filter((f) => f.type === 'command'),
    [],
  );
  await hub.close();
});

t.test('POST a body over 64 KiB gets 413 and sends nothing', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const { hub } = await helloHub(upstream.url, 'hub-sim-01');
  const body = JSON.stringify({ name: 'x', args: { blob: 'a'.repeat(70 * 1024) } });
  t.match(await api(upstream, '/hubs/hub-sim-01/commands', { method: 'POST', body }), {
    status: 413,
    body: { error: { code: 'too_large' } },
  });
  t.same(
    hub.frames.filter((f) => f.type === 'command'),
    [],
  );
  await hub.close();
});

t.test('anything else is 404', async (t) => {
  const { upstream } = await startTestUpstream(t);
  for (const [method, path] of [
    ['GET', '/'],
    ['POST', '/hubs'],
    ['GET', '/hubs/hub-a/commands'],
    ['DELETE', '/hubs/hub-a/events'],
    ['GET', '/hubs/hub-a/events/extra'],
  ] as const) {
    t.match(
      await api(upstream, path, { method }),
      { status: 404, body: { error: { code: 'not_found' } } },
      `${method} ${path}`,
    );
  }
});

t.test('a request that is not HTTP at all is answered 400 and the upstream keeps running', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const socket = connect(upstream.port, '127.0.0.1');
  socket.end('HELLO THERE\r\n\r\n');
  let answer = '';
  for await (const chunk of socket) answer += chunk;
  t.match(answer, /^HTTP\/1.1 400 Bad Request/);
  t.equal((await api(upstream, '/hubs')).status, 200);
});
