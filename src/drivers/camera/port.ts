// A camera is watched by probing it, not by streaming it through the hub.
export interface CameraProbeResult {
  /** The camera answered and, where the probe looks at pictures, sent some. */
  ok: boolean;
  /** From the start of the probe to the camera's first answer (RTSP OPTIONS reply, HTTP headers, TCP connect). */
  latencyMs?: number;
  /** Frames per second seen during the probe, when the probe receives a stream. */
  fps?: number;
  /** Kilobits per second of picture data seen during the probe, when it receives a stream. */
  kbps?: number;
  /** From asking for the stream (RTSP PLAY) to its first frame. */
  firstFrameMs?: number;
  /** The picture has not changed: the same snapshot as the probe before, or identical frames throughout. */
  frozen?: boolean;
  /** Why it is not ok, in a technician's words; never contains credentials from the URL. */
  reason?: string;
}

export interface CameraProbe {
  /** One probe; resolves with the outcome (a camera that is down is `ok: false`, not a rejection). */
  probe(signal?: AbortSignal): Promise<CameraProbeResult>;
  close(): Promise<void>;
}
