// Module hooks for preload.mjs: `onoff` resolves to the file-backed stand-in beside this file.
const fake = new URL('./onoff.mjs', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === 'onoff') return { url: fake, shortCircuit: true };
  return next(specifier, context);
}
