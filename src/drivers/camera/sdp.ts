// Just enough SDP (RFC 8866) for a probe: which track is the video, where to SETUP it, and the clock
// its RTP timestamps count in.

export interface VideoTrack {
  /** The URL to SETUP, already resolved against the description's base. */
  control: string;
  /** The URL that PLAYs the whole presentation (the session-level control, or the base). */
  aggregate: string;
  payloadType: number;
  /** RTP timestamp units per second. */
  clockRate: number;
}

// Static payload types carry no a=rtpmap; every video one counts at 90 kHz (RFC 3551).
const VIDEO_CLOCK = 90_000;

/** The first video track of a description, its control resolved against `base`; undefined if none. */
export function firstVideoTrack(sdp: string, base: string): VideoTrack | undefined {
  let section: 'session' | 'video' | 'other' = 'session';
  let payloadType: number | undefined;
  let control: string | undefined;
  let aggregate = '*';
  let clockRate = VIDEO_CLOCK;
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) {
      if (section === 'video') break;
      section = line.startsWith('m=video ') ? 'video' : 'other';
      const format = line.split(' ')[3];
      if (section === 'video' && format !== undefined && /^\d+$/.test(format)) payloadType = Number(format);
    } else if (line.startsWith('a=control:')) {
      const value = line.slice('a=control:'.length).trim();
      if (section === 'video') control = value;
      else if (section === 'session') aggregate = value;
    } else if (section === 'video' && line.startsWith(`a=rtpmap:${payloadType} `)) {
      const rate = /\/(\d+)/.exec(line)?.[1];
      if (rate !== undefined && Number(rate) > 0) clockRate = Number(rate);
    }
  }
  if (payloadType === undefined) return undefined;
  // Tracks resolve against the session's control when it is absolute (as ffmpeg and live555 do).
  const session = resolveControl(aggregate, base);
  return {
    control: resolveControl(control ?? '*', session),
    aggregate: session,
    payloadType,
    clockRate,
  };
}

/**
 * A control attribute as cameras mean it: absolute, "*" for the base itself, or relative to the base
 * taken as a folder ("trackID=1" on "rtsp://cam/live" is "rtsp://cam/live/trackID=1", as ffmpeg and
 * live555 read it, not "rtsp://cam/trackID=1" as a URL resolver would).
 */
export function resolveControl(control: string, base: string): string {
  if (control === '' || control === '*') return base;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(control)) return control;
  if (control.startsWith('/')) return (/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(base)?.[0] ?? '') + control;
  return base.endsWith('/') ? base + control : `${base}/${control}`;
}
