// A bus's serial settings: the profile's line settings, with the bus's own port and overrides.
import t from 'tap';
import { serialDefaultsSchema, serialSettings } from '../../src/drivers/weight/serial-profile.js';

t.test('the profile gives the defaults, the bus the port and any override', async (t) => {
  const defaults = serialDefaultsSchema.parse({ baudRate: 9600 });
  t.same(
    defaults,
    { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 },
    '8N1 unless the profile says',
  );
  t.same(serialSettings('/dev/serial/by-id/usb-x', defaults), {
    path: '/dev/serial/by-id/usb-x',
    baudRate: 9600,
    dataBits: 8,
    parity: 'none',
    stopBits: 1,
  });
  t.match(serialSettings('/dev/ttyUSB0', defaults, { baudRate: 19200, parity: 'even' }), {
    baudRate: 19200,
    parity: 'even',
  });
  t.equal(serialDefaultsSchema.safeParse({ baudRate: 9600, dataBits: 9 }).success, false);
});
