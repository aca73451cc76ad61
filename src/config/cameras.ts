// The cameras' part of the configuration: how each is probed, what counts as healthy, and how many
// probes the hub runs at once.
import { z } from 'zod';
import { parseCameraUrl } from '../drivers/camera/url.js';
import { id } from './id.js';

/** What an RTSP probe needs besides watching the stream: connecting, OPTIONS, DESCRIBE, SETUP, PLAY. */
const MIN_REQUEST_MS = 1000;

const schemeOf = { rtsp: ['rtsp'], http: ['http', 'https'], tcp: ['tcp'] } as const;

export const camera = z
  .strictObject({
    id,
    driver: z
      .enum(['sim', 'rtsp', 'http', 'tcp'])
      .describe(
        'How it is probed: rtsp (a short PLAY: frame rate, bitrate, time to first frame), http (a snapshot: latency, frozen picture), tcp (the port answers), sim',
      ),
    url: z
      .string()
      .min(1)
      .max(2048)
      .optional()
      .describe(
        'rtsp://[user:password@]host[:port]/path (prefer a sub-stream), http(s)://… a snapshot, or tcp://host:port. Credentials here never reach a log or an event',
      ),
    intervalSeconds: z
      .number()
      .min(1)
      .max(3600)
      .default(10)
      .describe('From the start of one probe to the start of the next'),
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .max(60_000)
      .default(5000)
      .describe('A probe with no answer by then counts as failed (counted from its turn, not its wait)'),
    playMs: z
      .number()
      .int()
      .min(200)
      .max(30_000)
      .default(1000)
      .describe('rtsp: how long each probe watches the stream; at least 1000 ms shorter than timeoutMs'),
    minFps: z.number().min(0).max(240).default(5).describe('Fewer frames a second is degraded'),
    maxLatencyMs: z
      .number()
      .int()
      .min(1)
      .max(60_000)
      .default(2000)
      .describe('A slower first answer is degraded'),
    maxFirstFrameMs: z
      .number()
      .int()
      .min(1)
      .max(60_000)
      .default(3000)
      .describe('rtsp: a slower first frame after PLAY is degraded'),
    minKbps: z
      .number()
      .min(0)
      .default(0)
      .describe(
        'rtsp: less picture data is degraded (a black or frozen picture from a camera that keeps streaming); 0 = no check',
      ),
  })
  .superRefine((c, ctx) => {
    if (c.driver === 'sim') {
      if (c.url) ctx.addIssue({ code: 'custom', path: ['url'], message: 'not for a simulated camera' });
      return;
    }
    if (!c.url) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: `required for an ${c.driver} camera` });
      return;
    }
    try {
      const { scheme } = parseCameraUrl(c.url);
      const allowed: readonly string[] = schemeOf[c.driver];
      if (!allowed.includes(scheme))
        ctx.addIssue({
          code: 'custom',
          path: ['url'],
          message: `an ${c.driver} camera needs a ${allowed.map((s) => `${s}://`).join(' or ')} URL`,
        });
    } catch (err) {
      // The message shows the URL with its credentials masked.
      ctx.addIssue({ code: 'custom', path: ['url'], message: (err as Error).message });
    }
    if (c.driver === 'rtsp' && c.playMs + MIN_REQUEST_MS > c.timeoutMs)
      ctx.addIssue({
        code: 'custom',
        path: ['playMs'],
        message: `must be at least ${MIN_REQUEST_MS} ms shorter than timeoutMs: connecting and asking for the stream take time too`,
      });
  });

export const cameraHealth = z.strictObject({
  concurrentProbes: z
    .number()
    .int()
    .min(1)
    .max(64)
    .default(8)
    .describe(
      "Probes running at once across all cameras: bounds the hub's CPU and the network (each rtsp probe pulls a stream for playMs)",
    ),
  offlineAfter: z
    .number()
    .int()
    .min(1)
    .max(20)
    .default(3)
    .describe('Failed probes in a row before a camera is offline (one lost probe is not an outage)'),
  degradedAfter: z
    .number()
    .int()
    .min(1)
    .max(20)
    .default(2)
    .describe('Probes in a row short of good before a camera is degraded'),
  recoverAfter: z
    .number()
    .int()
    .min(1)
    .max(20)
    .default(2)
    .describe('Good probes in a row before a camera in trouble counts as online again'),
});
