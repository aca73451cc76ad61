// onoff's Gpio over files laid out as the kernel's sysfs GPIO: $STORE_GATEWAY_TEST_SYSFS_GPIO/gpioN/
// with `direction`, `active_low`, `edge` and `value`. As in the kernel, `value` is the logical level
// (the wire level with active_low applied), "high"/"low" directions set the wire raw, and a line keeps
// its level after its process is gone. Another process (the test) changes an input by writing its
// `value`; a watcher polls it, as the kernel's interrupt would wake onoff's epoll.
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

const root = process.env.STORE_GATEWAY_TEST_SYSFS_GPIO ?? '/nonexistent';
const POLL_MS = 2;

export class Gpio {
  #number;
  #dir;
  #debounceMs;
  #listeners = [];
  #poller;
  #debounce;
  #last;

  constructor(number, direction, edge, options = {}) {
    this.#number = number;
    this.#dir = join(root, `gpio${number}`);
    this.#debounceMs = options.debounceTimeout ?? 0;
    if (!existsSync(this.#dir)) {
      appendFileSync(join(root, 'export'), `${number}\n`);
      mkdirSync(this.#dir);
      // A freshly exported line is an input whose wire is low.
      this.#write({ direction: 'in', active_low: 0, edge: 'none', value: 0 });
    }
    let wire = this.#wire();
    const activeLow = options.activeLow === true ? 1 : 0;
    let out = direction !== 'in';
    if (direction === 'high') wire = 1;
    else if (direction === 'low') wire = 0;
    else if (direction === 'out') wire = activeLow;
    else out = false;
    this.#write({
      active_low: activeLow,
      direction: out ? 'out' : 'in',
      value: wire ^ activeLow,
      ...(out ? {} : { edge: edge ?? 'none' }),
    });
  }

  static get accessible() {
    return existsSync(join(root, 'export'));
  }

  readSync() {
    return Number(readFileSync(join(this.#dir, 'value'), 'utf8').trim()) === 1 ? 1 : 0;
  }

  writeSync(value) {
    if (this.#read('direction') !== 'out')
      throw Object.assign(new Error('EPERM: operation not permitted, write'), { code: 'EPERM' });
    this.#write({ value: value === 1 ? 1 : 0 });
  }

  watch(callback) {
    this.#listeners.push(callback);
    if (this.#poller) return;
    this.#last = this.readSync();
    this.#poller = setInterval(() => this.#poll(), POLL_MS);
    this.#poller.unref();
  }

  unwatch(callback) {
    this.#listeners = callback === undefined ? [] : this.#listeners.filter((l) => l !== callback);
    if (this.#listeners.length === 0) this.#stop();
  }

  unexport() {
    this.#listeners = [];
    this.#stop();
    rmSync(this.#dir, { recursive: true, force: true });
    appendFileSync(join(root, 'unexport'), `${this.#number}\n`);
  }

  #poll() {
    let value;
    try {
      value = this.readSync();
    } catch {
      return;
    }
    if (value === this.#last) return;
    this.#last = value;
    // As onoff debounces: the listeners hear the level once it has held still for the timeout.
    clearTimeout(this.#debounce);
    if (this.#debounceMs === 0) this.#deliver();
    else this.#debounce = setTimeout(() => this.#deliver(), this.#debounceMs);
  }

  #deliver() {
    const value = this.readSync();
    for (const listener of [...this.#listeners]) listener(null, value);
  }

  #stop() {
    clearInterval(this.#poller);
    clearTimeout(this.#debounce);
    this.#poller = undefined;
  }

  #wire() {
    return Number(this.#read('value')) ^ Number(this.#read('active_low'));
  }

  #read(file) {
    return readFileSync(join(this.#dir, file), 'utf8').trim();
  }

  /** Replaces each file whole, so a reader in another process never sees one half-written. */
  #write(files) {
    for (const [file, text] of Object.entries(files)) {
      const path = join(this.#dir, file);
      writeFileSync(`${path}.${process.pid}.tmp`, `${text}\n`);
      renameSync(`${path}.${process.pid}.tmp`, path);
    }
  }
}

export default { Gpio };
