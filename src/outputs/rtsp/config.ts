/** The `rtsp:` section of the config file: off unless present (or `--rtsp-port`). */
import { z } from 'zod';

export const rtspSchema = z.strictObject({
  /** 8554 by default; 0 for any free port (tests). */
  port: z.number().int().min(0).max(65535).default(8554),
  /** The address to bind; by default the server's (`server.host`). */
  host: z.string().min(1).optional(),
  /** A session without a request, RTCP or (over TCP) a connection ends after this many seconds. */
  session_timeout: z.number().int().min(5).max(3600).default(60),
});

export type RtspFile = z.infer<typeof rtspSchema>;

export interface RtspConfig {
  host: string;
  port: number;
  sessionTimeoutMs: number;
}

/** The settled section: `--rtsp-port` turns it on (or moves it), the host defaults to the server's. */
export function settleRtsp(
  file: RtspFile | undefined,
  cliPort: number | undefined,
  serverHost: string,
): RtspConfig | undefined {
  if (!file && cliPort === undefined) return undefined;
  return {
    host: file?.host ?? serverHost,
    port: cliPort ?? file?.port ?? 8554,
    sessionTimeoutMs: (file?.session_timeout ?? 60) * 1000,
  };
}
