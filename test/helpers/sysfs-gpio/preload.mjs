// Preloaded into a daemon the test runs as a child process (NODE_OPTIONS=--import), to give it the
// GPIO of a board it does not have: `onoff` becomes ./onoff.mjs, a file-backed stand-in for sysfs GPIO
// rooted at $STORE_GATEWAY_TEST_SYSFS_GPIO, and the daemon's reads of /sys/class/gpio (the chip
// lookup) go there too. Plain JavaScript: it runs before any TypeScript loader is registered.
import fs from 'node:fs';
import { register, syncBuiltinESMExports } from 'node:module';

const root = process.env.STORE_GATEWAY_TEST_SYSFS_GPIO;
if (root) {
  // Hooks run newest first, and a TypeScript loader resolves bare names without asking the next hook:
  // the loaders this process is started with go first, so these hooks are registered on top of them.
  // Importing them again later (as the command line asks) finds them already loaded.
  const args = process.execArgv;
  for (const [i, arg] of args.entries()) {
    if (arg.startsWith('--import=')) await import(arg.slice('--import='.length));
    else if (arg === '--import' && args[i + 1]) await import(args[i + 1]);
  }
  register(new URL('./hooks.mjs', import.meta.url));
  const sysfs = '/sys/class/gpio';
  const moved = (path) =>
    typeof path === 'string' && (path === sysfs || path.startsWith(`${sysfs}/`))
      ? root + path.slice(sysfs.length)
      : path;
  for (const name of ['readdir', 'readFile']) {
    const original = fs.promises[name];
    fs.promises[name] = (path, ...rest) => original(moved(path), ...rest);
  }
  // `import { readdir } from 'node:fs/promises'` elsewhere sees the patched functions too.
  syncBuiltinESMExports();
}
