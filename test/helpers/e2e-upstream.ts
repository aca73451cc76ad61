// The reference upstream as an end-to-end test's cloud: on an ephemeral port, its database in the
// test's directory, closed when the test ends, and the hub's token written to `dir/token` for the
// configuration's `upstream.tokenFile: token`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../../src/system/log.js';
import { Secret } from '../../src/system/secret.js';
import { startUpstream, type Upstream } from '../../src/upstream/server.js';
import type { TestContext } from './tap-types.js';

export async function startE2eUpstream(t: TestContext, dir: string): Promise<Upstream> {
  const upstream = await startUpstream({
    port: 0,
    tokens: [new Secret('e2e-token')],
    dbPath: join(dir, 'upstream.db'),
    log: silentLogger(),
  });
  t.teardown(() => upstream.close());
  writeFileSync(join(dir, 'token'), 'e2e-token\n');
  return upstream;
}
