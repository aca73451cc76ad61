// XState v5 machines, one per device and (later) the store's fusion. Pure: devices come in as actors
// or input; each emits `status` ({ deviceId, deviceKind, status, reason }) when its health changes.
import type { AnyActorRef } from 'xstate';

export { type Backoff, defaultBackoff, retryDelay } from '../system/backoff.js';
export {
  type CameraHealthActor,
  type CameraHealthContext,
  type CameraHealthEvent,
  type CameraHealthInput,
  type CameraOutage,
  cameraHealthMachine,
  createCameraHealthActor,
  type OutageEmitted,
} from './camera-health.js';
export {
  type AnyDeviceLinkInput,
  createDeviceLinkActor,
  type DeviceLinkActor,
  type DeviceLinkContext,
  type DeviceLinkEvent,
  type DeviceLinkInput,
  deviceLinkMachine,
} from './device-link.js';
export type {
  DeviceHealth,
  DeviceKind,
  DeviceStatus,
  DeviceStatusData,
  StatusEmitted,
} from './status.js';

/**
 * Asks a device actor to close its device and resolves once it has; resolves at once if the actor
 * has already finished or been stopped. Works for every device machine (they all take `close`).
 */
export function closeDevice(actor: AnyActorRef): Promise<void> {
  return new Promise((resolve) => {
    const ended = () => actor.getSnapshot().status !== 'active';
    if (ended()) return resolve();
    // Called on every snapshot and on an error, which also ends the actor.
    const check = () => {
      if (!ended()) return;
      subscription.unsubscribe();
      resolve();
    };
    const subscription = actor.subscribe(check, check);
    actor.send({ type: 'close' });
  });
}
