// The simulated store's two diagnostics accounts (configs/simulated-store.yaml), whose passwords the
// README and the demo print. A hub that listens beyond loopback refuses them: copied into a real
// store's file, they would let anyone on the LAN act on the gates.

export const demoPasswordHashes: ReadonlySet<string> = new Set([
  'scrypt$32768$8$1$3nhb89qr-Nm8Xahxgzu_aw$quBVgaG6tQAiV7DlZuVXUqjgu0K3FU9IqxbJrHLZvFs',
  'scrypt$32768$8$1$FvQyUK8AGRe0SAobF_uiFQ$Vh5GAP-pHJNPViLcJlG6gVqU9FSkIfsTyUqwfmtG9bY',
]);

/** Whether `listen` (host:port) is reachable from this machine only. */
export function onLoopback(listen: string): boolean {
  const host = listen.slice(0, listen.lastIndexOf(':')).replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
