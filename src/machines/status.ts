// What every device machine reports: the `device.status` event's data, kept in the snapshot and
// emitted as `status` whenever it changes. Shapes come from the event catalogue, never copied.
import type { EventData } from '../events/catalogue.js';

export type DeviceStatusData = EventData<'device.status'>;
export type DeviceKind = DeviceStatusData['deviceKind'];
export type DeviceStatus = DeviceStatusData['status'];

/** Emitted by a device machine on every change of status or reason: `actor.on('status', ...)`. */
export type StatusEmitted = { type: 'status' } & DeviceStatusData;

/** The part of a device machine's context that diagnostics show and `device.status` reports. */
export interface DeviceHealth {
  deviceId: string;
  deviceKind: DeviceKind;
  status: DeviceStatus;
  reason: string;
  /** When `status` last changed, milliseconds since the epoch. */
  since: number;
}

/** The reason a machine starts with; never emitted, so the first real outcome always is. */
export const STARTING = 'starting';

/** A reason fit for a technician out of whatever was thrown. */
export function reasonOf(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  if (typeof error === 'string' && error) return error;
  return 'unknown error';
}

/**
 * The new health and the event to emit when `status`/`reason` differ from the current ones; undefined
 * when nothing changed, so a retry that fails the same way stays silent.
 */
export function statusChange(
  health: DeviceHealth,
  status: DeviceStatus,
  reason: string,
  now: number,
): { health: Pick<DeviceHealth, 'status' | 'reason' | 'since'>; emitted: StatusEmitted } | undefined {
  if (health.status === status && health.reason === reason) return undefined;
  const since = health.status === status ? health.since : now;
  return {
    health: { status, reason, since },
    emitted: { type: 'status', deviceId: health.deviceId, deviceKind: health.deviceKind, status, reason },
  };
}
