// Hot-plug of a serial device over a real pseudo-terminal pair: the link's path vanishes (socat
// killed, as an adapter pulled) and comes back. The backoff is set to a minute, so coming back
// within the test's time can only be the presence watch's doing.
import t from 'tap';
import { devicesDir } from '../../src/drivers/profile-file.js';
import { SerialScanner } from '../../src/drivers/scanner/serial.js';
import { loadScannerProfile } from '../../src/drivers/scanner/serial-profile.js';
import { openSerialPort } from '../../src/drivers/serial/serialport.js';
import type { OpenSerial } from '../../src/drivers/serial/transport.js';
import { closeDevice, createDeviceLinkActor, type StatusEmitted } from '../../src/machines/index.js';
import { systemClock } from '../../src/system/clock.js';
import { startPtyPair, waitFor } from '../helpers/pty.js';

const profile = loadScannerProfile(`${devicesDir}/qr-usb-cdc.yaml`);

t.test(
  'a scanner unplugged is offline at once and reopened, once, as soon as it is plugged in again',
  async (t) => {
    const pty = await startPtyPair(t);
    let opens = 0;
    const counting: OpenSerial = (settings) => {
      const transport = openSerialPort(settings);
      const open = transport.open.bind(transport);
      transport.open = () => {
        opens++;
        return open();
      };
      return transport;
    };
    const scanner = new SerialScanner({
      id: 'qr-in',
      path: pty.hubPath,
      profile,
      clock: systemClock,
      openSerial: counting,
    });
    const statuses: StatusEmitted[] = [];
    const actor = createDeviceLinkActor(
      {
        deviceId: 'qr-in',
        deviceKind: 'scanner',
        link: scanner,
        onData: () => {},
        backoff: { minMs: 60_000, maxMs: 60_000 },
      },
      systemClock,
    );
    actor.on('status', (e) => statuses.push(e));
    actor.start();
    t.teardown(() => closeDevice(actor));
    await waitFor(() => statuses.at(-1)?.status === 'online', 'the scanner online');
    t.equal(opens, 1);

    await pty.stop();
    await waitFor(() => statuses.at(-1)?.status === 'offline', 'the scanner offline');
    t.match(statuses.at(-1)?.reason, /hung up|disappeared|unplugged/, `offline: ${statuses.at(-1)?.reason}`);
    // Out long enough for a retry of the usual backoff to have failed, were it not a minute here.
    await new Promise((r) => setTimeout(r, 700));
    t.equal(actor.getSnapshot().context.status, 'offline', 'still offline while unplugged');

    const back = Date.now();
    await pty.restart();
    await waitFor(() => statuses.at(-1)?.status === 'online', 'the scanner online again', 10_000);
    t.comment(`online again ${Date.now() - back} ms after the path reappeared (the backoff was 60 s)`);
    t.equal(opens, 2, 'opened once more, not twice');
    t.same(
      statuses.map((s) => s.status),
      ['online', 'offline', 'online'],
    );
  },
);

t.test('an open cut short by a close does not spoil the next open', async (t) => {
  const pty = await startPtyPair(t);
  const port = openSerialPort({ path: pty.hubPath, ...profile.serial });
  t.teardown(() => port.close());
  const first = port.open();
  await port.close();
  // Asked again before the first open has settled, as the device link does after a quick loss.
  const second = port.open();
  await t.rejects(first, { message: /closed while it was opening/ });
  await t.resolves(second, 'the next open is its own, and works');
});
