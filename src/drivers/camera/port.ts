// A camera is watched by probing it, not by streaming it through the hub.
export interface CameraProbeResult {
  ok: boolean;
  /** Frames per second seen during the probe, when the probe measures it. */
  fps?: number;
  latencyMs?: number;
  /** Why it is not ok, in a technician's words; never contains credentials from the URL. */
  reason?: string;
}

export interface CameraProbe {
  probe(signal?: AbortSignal): Promise<CameraProbeResult>;
  close(): Promise<void>;
}
