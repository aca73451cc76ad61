import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import t from 'tap';
import WebSocket from 'ws';
import {
  connectHub,
  helloHub,
  refusal,
  startTestUpstream,
  statusEvent,
  subprotocol,
  token,
} from './fixtures/hub.js';

t.test('a hub with the wrong token is refused with 401 and nothing is stored', async (t) => {
  const { upstream, lines } = await startTestUpstream(t);
  const refused = once(upstream, 'refused');
  t.equal(await refusal(connectHub(upstream.url, { token: 'not-the-token' })), 401);
  t.match((await refused)[0], { status: 401, reason: 'wrong token' });
  t.same(upstream.connectedHubs(), []);
  t.equal(upstream.stats('hub-test-01').events, 0);
  t.match(lines.join('\n'), /refused \(401\): wrong token/);
  t.notMatch(lines.join('\n'), /not-the-token/, 'the presented token is never printed');
});

t.test('a hub without a token is refused with 401', async (t) => {
  const { upstream, lines } = await startTestUpstream(t);
  t.equal(await refusal(connectHub(upstream.url, { token: null })), 401);
  t.match(lines.join('\n'), /refused \(401\): no bearer token/);
});

t.test('the 401 answer carries WWW-Authenticate and echoes nothing of the request', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const ws = new WebSocket(upstream.url, [subprotocol], {
    headers: { authorization: 'Bearer leaked-guess' },
  });
  ws.on('error', () => {});
  const [, res] = (await once(ws, 'unexpected-response')) as [unknown, import('node:http').IncomingMessage];
  let body = '';
  for await (const chunk of res) body += chunk;
  t.equal(res.statusCode, 401);
  t.equal(res.headers['www-authenticate'], 'Bearer');
  t.notMatch(body + JSON.stringify(res.headers), /leaked-guess/);
});

t.test('a hub that does not offer subprotocol store-gateway.v1 is refused with 400', async (t) => {
  const { upstream, lines } = await startTestUpstream(t);
  t.equal(await refusal(connectHub(upstream.url, { protocols: [] })), 400);
  t.equal(await refusal(connectHub(upstream.url, { protocols: ['store-gateway.v2'] })), 400);
  t.match(lines.join('\n'), /refused \(400\): subprotocol store-gateway.v1 required/);
});

t.test('the subprotocol is accepted among others and echoed back', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const hub = await connectHub(upstream.url, { protocols: ['store-gateway.v2', subprotocol] });
  t.equal(hub.ws.protocol, subprotocol);
  await hub.close();
});

t.test('any path works and a first hello is welcomed with ackedSeq 0', async (t) => {
  const { upstream, lines } = await startTestUpstream(t);
  const hello = once(upstream, 'hello');
  const hub = await connectHub(upstream.url.replace('/hub', '/some/other/path'));
  t.equal(await hub.hello('hub-sim-01', 'store-7'), 0);
  t.match((await hello)[0], { hubId: 'hub-sim-01', storeId: 'store-7', version: '0.1.0-test', ackedSeq: 0 });
  t.same(upstream.connectedHubs(), ['hub-sim-01']);
  t.equal(upstream.stats('hub-sim-01').connections, 1);
  t.match(lines.join('\n'), /hub-sim-01 {2}hello: store store-7, version 0.1.0-test, nothing stored yet/);
  const gone = once(upstream, 'disconnect');
  await hub.close();
  t.match((await gone)[0], { hubId: 'hub-sim-01', code: 1000 });
  t.same(upstream.connectedHubs(), []);
  t.match(lines.join('\n'), /hub-sim-01 {2}disconnected \(1000 test done\)/);
});

t.test('a frame before hello closes the connection with 1008', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const hub = await connectHub(upstream.url);
  hub.send(statusEvent(1));
  t.same(await hub.closed, { code: 1008, reason: 'hello expected first' });
  t.equal(upstream.stats('hub-test-01').events, 0);
});

t.test('even an invalid frame before hello closes the connection with 1008', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const hub = await connectHub(upstream.url);
  hub.send('this is not JSON');
  t.match(await hub.closed, { code: 1008, reason: 'hello expected first' });
});

t.test('a hello of another protocol version is refused with 1008 and says why', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const hub = await connectHub(upstream.url);
  hub.send({ type: 'hello', protocol: 2, hubId: 'hub-new', storeId: 's', version: '9.0.0' });
  t.same(await hub.closed, { code: 1008, reason: 'protocol 2 not supported; this upstream speaks 1' });
  t.same(upstream.connectedHubs(), []);
});

t.test('a hello without a hubId is refused with 1008 naming the field', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const hub = await connectHub(upstream.url);
  hub.send({ type: 'hello', protocol: 1, storeId: 's', version: '1' });
  t.match(await hub.closed, { code: 1008, reason: /^bad "hello" frame: hubId/ });
});

t.test('a second hello on the same connection is counted as invalid and changes nothing', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const { hub } = await helloHub(upstream.url, 'hub-a');
  const invalid = once(upstream, 'invalid');
  hub.send({ type: 'hello', protocol: 1, hubId: 'hub-b', storeId: 's', version: '1' });
  t.match((await invalid)[0], { who: 'hub-a', reason: 'a second hello on the same connection' });
  t.same(upstream.connectedHubs(), ['hub-a']);
  await hub.close();
});

t.test('a newer connection of the same hub replaces the older one, which is closed with 4001', async (t) => {
  const { upstream, lines } = await startTestUpstream(t);
  const { hub: older } = await helloHub(upstream.url, 'hub-sim-01');
  const { hub: newer } = await helloHub(upstream.url, 'hub-sim-01');
  t.same(await older.closed, { code: 4001, reason: 'replaced by a newer connection' });
  t.same(upstream.connectedHubs(), ['hub-sim-01'], 'the newer connection stays');
  t.equal(upstream.stats('hub-sim-01').connections, 2);
  newer.send(statusEvent(1));
  t.same(await newer.next('ack'), { type: 'ack', seq: 1 });
  t.match(lines.join('\n'), /replaced by a newer one \(4001\)/);
  await newer.close();
});

t.test('the newer connection is welcomed with everything the older one delivered', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const { hub: older } = await helloHub(upstream.url, 'hub-sim-01');
  for (let seq = 1; seq <= 3; seq++) older.send(statusEvent(seq));
  await older.ackedThrough(3);
  const stored = once(upstream, 'event');
  older.send(statusEvent(4));
  await stored;
  const newer = await connectHub(upstream.url);
  t.equal(await newer.hello('hub-sim-01'), 4);
  await newer.close();
});

t.test('the upstream answers the hub pings', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const { hub } = await helloHub(upstream.url);
  hub.ws.ping('are-you-there');
  const [data] = await once(hub.ws, 'pong');
  t.equal(String(data), 'are-you-there');
  await hub.close();
});

t.test('the upstream pings each hub and keeps one that answers', async (t) => {
  const { upstream } = await startTestUpstream(t, { pingIntervalMs: 20 });
  const { hub } = await helloHub(upstream.url);
  for (let i = 0; i < 4; i++) await once(hub.ws, 'ping');
  t.same(upstream.connectedHubs(), ['hub-test-01']);
  await hub.close();
});

t.test('a hub that misses two pongs in a row is taken for dead and cut off', async (t) => {
  const { upstream } = await startTestUpstream(t, { pingIntervalMs: 20 });
  const hub = await connectHub(upstream.url, { autoPong: false });
  await hub.hello('hub-silent');
  const gone = once(upstream, 'disconnect');
  const { code } = await hub.closed;
  t.equal(code, 1006, 'terminated without a close handshake');
  t.match((await gone)[0], { hubId: 'hub-silent' });
  t.same(upstream.connectedHubs(), []);
});

t.test('closing the upstream says goodbye to connected hubs with 1001', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const { hub } = await helloHub(upstream.url);
  await upstream.close();
  t.same(await hub.closed, { code: 1001, reason: 'upstream shutting down' });
  await upstream.close();
  t.pass('closing twice is harmless');
});

t.test(
  'closing the upstream cuts off, after a second, a peer that ignores the close handshake',
  async (t) => {
    const { upstream } = await startTestUpstream(t);
    const socket = connect(upstream.port, '127.0.0.1');
    socket.write(
      [
        'GET /hub HTTP/1.1',
        `Host: 127.0.0.1:${upstream.port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        'Sec-WebSocket-Version: 13',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
        `Sec-WebSocket-Protocol: ${subprotocol}`,
        `Authorization: Bearer ${token}`,
        '',
        '',
      ].join('\r\n'),
    );
    socket.resume();
    await once(upstream, 'connection');
    const started = Date.now();
    const ended = once(socket, 'close');
    await upstream.close();
    await ended;
    t.ok(Date.now() - started >= 900, 'it waited for the peer first');
  },
);

t.test('the token is accepted whatever the case of "Bearer"', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const ws = new WebSocket(upstream.url, [subprotocol], { headers: { authorization: `bearer ${token}` } });
  await once(ws, 'open');
  ws.close();
  await once(ws, 'close');
});
