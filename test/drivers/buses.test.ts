import { join } from 'node:path';
import t from 'tap';
import type { BusConfig } from '../../src/config/schema.js';
import type { SerialSettings } from '../../src/drivers/serial/transport.js';
import { AsciiStreamBus } from '../../src/drivers/weight/ascii-stream.js';
import { createBus, nominalRate, nominalSlope } from '../../src/drivers/weight/buses.js';
import { ModbusRtuBus } from '../../src/drivers/weight/modbus/bus.js';
import { MtSicsBus } from '../../src/drivers/weight/mt-sics.js';
import {
  devicesDir,
  loadProfile,
  profilePath,
  type WeightProfile,
} from '../../src/drivers/weight/profiles.js';
import { FakeClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { FakeSerial } from '../helpers/fake-serial.js';

const profile = (name: string) => loadProfile(join(devicesDir, `${name}.yaml`));

function build(bus: BusConfig, profiles: Map<string, WeightProfile>) {
  const opened: SerialSettings[] = [];
  const made = createBus(
    bus,
    profiles,
    (settings) => {
      opened.push(settings);
      return new FakeSerial() as never;
    },
    new FakeClock(),
    silentLogger(),
  );
  return { made, opened };
}

t.test(
  'each protocol gets its driver, on the port with the profile’s line settings unless overridden',
  async (t) => {
    const modbus = profile('modbus-4ch-int32');
    const { made, opened } = build(
      {
        id: 'rs485',
        port: '/dev/ttyUSB0',
        profile: 'modbus-4ch-int32',
        baudRate: 38400,
        boards: [
          { id: 'a', address: 1 },
          { id: 'b', address: 2 },
        ],
      },
      new Map([
        ['a', modbus],
        ['b', modbus],
      ]),
    );
    t.ok(made instanceof ModbusRtuBus);
    t.match(opened[0], { path: '/dev/ttyUSB0', baudRate: 38400, parity: 'none', dataBits: 8 });
    const ascii = build(
      { id: 'hx', port: '/dev/ttyACM0', profile: 'ascii-stream-grams-12ch', boards: [{ id: 'h' }] },
      new Map([['h', profile('ascii-stream-grams-12ch')]]),
    );
    t.ok(ascii.made instanceof AsciiStreamBus);
    t.equal(ascii.opened[0]?.baudRate, 230400, "the profile's speed");
    const sics = build(
      {
        id: 'scale',
        port: '/dev/ttyUSB1',
        profile: 'mt-sics-generic',
        parity: 'even',
        boards: [{ id: 's' }],
      },
      new Map([['s', profile('mt-sics-generic')]]),
    );
    t.ok(sics.made instanceof MtSicsBus);
    t.equal(sics.opened[0]?.parity, 'even');
    t.throws(
      () => build({ id: 'x', port: '/dev/x', profile: 'p', boards: [{ id: 'nobody' }] }, new Map()),
      /no board model/,
    );
    t.throws(
      () =>
        build(
          { id: 'x', port: '/dev/x', profile: 'p', boards: [{ id: 'a', address: 1 }, { id: 's' }] },
          new Map([
            ['a', modbus],
            ['s', profile('mt-sics-generic')],
          ]),
        ),
      /board s is not a Modbus module/,
    );
  },
);

t.test(
  'boards sampling raw counts start from the profile’s nominal scale; grams boards from 1',
  async (t) => {
    t.equal(nominalSlope(profile('ascii-stream-grams-12ch')), 1);
    const hx = profile('ascii-stream-hx711-4ch');
    t.equal(nominalSlope(hx), hx.protocol === 'ascii-stream' ? (hx.gramsPerCount ?? 1) : 1);
    t.equal(nominalSlope(profile('modbus-2ch-counts')), 1);
  },
);

t.test(
  'a board’s nominal rate: its streaming rate, or what its share of the Modbus line allows',
  async (t) => {
    const modbus = profile('modbus-4ch-int32');
    const profiles = new Map([
      ['a', modbus],
      ['b', modbus],
      ['h', profile('ascii-stream-grams-12ch')],
    ]);
    const one: BusConfig = {
      id: 'r',
      port: '/dev/x',
      profile: 'm',
      baudRate: 115200,
      boards: [{ id: 'a', address: 1 }],
    };
    const two: BusConfig = {
      ...one,
      boards: [
        { id: 'a', address: 1 },
        { id: 'b', address: 2 },
      ],
    };
    const slow: BusConfig = { ...one, baudRate: 9600 };
    const alone = nominalRate(one, 'a', profiles);
    t.ok(alone > 40 && alone < 200, `one module at 115200 baud: ${alone.toFixed(1)} Hz`);
    t.ok(Math.abs(nominalRate(two, 'a', profiles) - alone / 2) < 1e-9, 'two modules share the line');
    t.ok(nominalRate(slow, 'a', profiles) < alone / 3, '9600 baud is much slower');
    t.equal(
      nominalRate({ id: 'h', port: '/dev/y', boards: [{ id: 'h', sampleRateHz: 60 }] }, 'h', profiles),
      60,
    );
    t.equal(nominalRate({ id: 'h', port: '/dev/y', boards: [{ id: 'h' }] }, 'h', profiles), 40);
    t.equal(nominalRate(one, 'unknown', profiles), 10);
  },
);

t.test('a profile is a file in devices/ by name, or a path relative to the configuration', async (t) => {
  t.equal(profilePath('modbus-4ch-int32', '/etc/sg'), join(devicesDir, 'modbus-4ch-int32.yaml'));
  t.equal(profilePath('./boards/mine.yaml', '/etc/sg'), '/etc/sg/boards/mine.yaml');
  t.equal(profilePath('/opt/boards/mine.yml', '/etc/sg'), '/opt/boards/mine.yml');
  const dir = t.testdir({ 'bad.yaml': 'protocol: [', 'odd.yaml': 'protocol: telepathy\n' });
  t.throws(() => loadProfile(join(dir, 'bad.yaml')), /bad\.yaml is not valid YAML/);
  t.throws(() => loadProfile(join(dir, 'odd.yaml')), /odd\.yaml: protocol: /);
});
