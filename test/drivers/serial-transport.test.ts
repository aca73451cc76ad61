// The real serial adapter against a real pseudo-terminal pair (socat): what a technician sees when a
// USB-RS485 adapter is plugged, unplugged, busy or missing.
import t from 'tap';
import { explainOpenError, openSerialPort } from '../../src/drivers/serial/serialport.js';
import type { SerialSettings } from '../../src/drivers/serial/transport.js';
import { startPtyPair, waitFor } from '../helpers/pty.js';

const settings = (path: string): SerialSettings => ({
  path,
  baudRate: 115200,
  dataBits: 8,
  parity: 'none',
  stopBits: 1,
});

const bytes = (text: string) => new TextEncoder().encode(text);
const collect = () => {
  const chunks: Buffer[] = [];
  return {
    chunks,
    text: () => Buffer.concat(chunks).toString(),
    listener: (c: Uint8Array) => chunks.push(Buffer.from(c)),
  };
};

t.test('bytes flow both ways between the hub and the device', async (t) => {
  const pty = await startPtyPair(t);
  const hub = openSerialPort(settings(pty.hubPath));
  const device = openSerialPort(settings(pty.devicePath));
  t.teardown(() => Promise.all([hub.close(), device.close()]));
  const atHub = collect();
  const atDevice = collect();
  hub.onData(atHub.listener);
  device.onData(atDevice.listener);
  await Promise.all([hub.open(), device.open()]);
  await hub.open(); // a second open of an open port is harmless

  await hub.write(bytes('Z\r\n'));
  await device.write(bytes('1,10.5,nan\n'));
  await device.write(new Uint8Array([0x00, 0xff, 0x0a]));
  await waitFor(() => atDevice.text() === 'Z\r\n', 'the device to receive Z');
  await waitFor(() => Buffer.concat(atHub.chunks).length === 14, 'the hub to receive 14 bytes');
  t.same([...Buffer.concat(atHub.chunks)], [...bytes('1,10.5,nan\n'), 0x00, 0xff, 0x0a]);
});

t.test('an unplugged adapter is reported once, and the port opens again once it is back', async (t) => {
  const pty = await startPtyPair(t);
  const hub = openSerialPort(settings(pty.hubPath));
  t.teardown(() => hub.close());
  const lost: string[] = [];
  hub.onLost((reason) => lost.push(reason));
  await hub.open();

  await pty.stop();
  await waitFor(() => lost.length > 0, 'the loss to be reported');
  t.match(lost[0], new RegExp(`serial port ${pty.hubPath} (disappeared|failed)`));
  await t.rejects(hub.write(bytes('x')), /is not open/, 'writing to a lost port fails at once');
  await t.rejects(hub.open(), { message: /no serial port at .*: is the adapter plugged in\?/ });

  await pty.restart();
  await hub.open();
  const device = openSerialPort(settings(pty.devicePath));
  t.teardown(() => device.close());
  const atHub = collect();
  hub.onData(atHub.listener);
  await device.open();
  await device.write(bytes('hello\n'));
  await waitFor(() => atHub.text() === 'hello\n', 'data after the re-plug');
  t.equal(lost.length, 1, 'the loss was reported exactly once');
});

t.test('after close nobody hears the port, and close never fails', async (t) => {
  const pty = await startPtyPair(t);
  const hub = openSerialPort(settings(pty.hubPath));
  const device = openSerialPort(settings(pty.devicePath));
  t.teardown(() => device.close());
  const atHub = collect();
  const lost: string[] = [];
  hub.onData(atHub.listener);
  hub.onLost((reason) => lost.push(reason));
  await Promise.all([hub.open(), device.open()]);
  await hub.close();
  await hub.close();
  await device.write(bytes('late\n'));
  await pty.stop();
  // Give the OS a moment in which a wrongly attached listener would have fired.
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(atHub.text(), '');
  t.same(lost, []);
});

t.test('unsubscribed listeners hear nothing', async (t) => {
  const pty = await startPtyPair(t);
  const hub = openSerialPort(settings(pty.hubPath));
  const device = openSerialPort(settings(pty.devicePath));
  t.teardown(() => Promise.all([hub.close(), device.close()]));
  const kept = collect();
  const dropped = collect();
  hub.onData(kept.listener);
  hub.onData(dropped.listener)();
  const lost: string[] = [];
  hub.onLost((reason) => lost.push(reason))();
  await Promise.all([hub.open(), device.open()]);
  await device.write(bytes('a\n'));
  await waitFor(() => kept.text() === 'a\n', 'data');
  t.equal(dropped.text(), '');
  await pty.stop();
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.same(lost, []);
});

t.test('a port another program holds is reported as in use', async (t) => {
  const pty = await startPtyPair(t);
  const first = openSerialPort(settings(pty.hubPath));
  const second = openSerialPort(settings(pty.hubPath));
  t.teardown(() => Promise.all([first.close(), second.close()]));
  await first.open();
  await t.rejects(second.open(), { message: `${pty.hubPath} is in use by another program` });
});

t.test('a missing port is rejected with what to check', async (t) => {
  const hub = openSerialPort(settings('/dev/serial/by-id/usb-FTDI_missing-if00-port0'));
  await t.rejects(hub.open(), {
    message:
      'no serial port at /dev/serial/by-id/usb-FTDI_missing-if00-port0: is the adapter plugged in? ' +
      'Prefer a /dev/serial/by-id/ path',
  });
  await t.rejects(hub.write(bytes('x')), /not open/);
  await hub.close();
});

t.test('a port closed while it is still opening ends closed', async (t) => {
  const pty = await startPtyPair(t);
  const hub = openSerialPort(settings(pty.hubPath));
  const opening = hub.open();
  const again = hub.open();
  await hub.close();
  await t.rejects(opening, /was closed while it was opening/);
  await t.rejects(again, /was closed while it was opening/);
  await t.rejects(hub.write(bytes('x')), /not open/);
  // And the port is free again.
  await hub.open();
  await hub.close();
});

t.test('open errors read as what a technician should check', async (t) => {
  t.equal(
    explainOpenError('/dev/ttyUSB0', 'Error: Permission denied, cannot open /dev/ttyUSB0'),
    'permission denied on /dev/ttyUSB0: the service user needs the dialout group or a udev rule',
  );
  t.equal(
    explainOpenError('/dev/ttyUSB0', 'Error Resource temporarily unavailable Cannot lock port'),
    '/dev/ttyUSB0 is in use by another program',
  );
  t.equal(
    explainOpenError('/dev/ttyUSB0', 'Error: Device or resource busy, cannot open /dev/ttyUSB0'),
    '/dev/ttyUSB0 is in use by another program',
  );
  t.equal(
    explainOpenError('/dev/ttyUSB0', 'Error: No such file or directory, cannot open /dev/ttyUSB0'),
    'no serial port at /dev/ttyUSB0: is the adapter plugged in? Prefer a /dev/serial/by-id/ path',
  );
  t.equal(
    explainOpenError(
      '/etc/hostname',
      'Error: Inappropriate ioctl for device setting custom baud rate of 9600',
    ),
    'cannot open serial port /etc/hostname: Inappropriate ioctl for device setting custom baud rate of 9600',
  );
});

t.test('a file that is not a serial port is refused with the OS reason', async (t) => {
  const notATty = openSerialPort(settings('/etc/hostname'));
  await t.rejects(notATty.open(), /^cannot open serial port \/etc\/hostname: /);
});
