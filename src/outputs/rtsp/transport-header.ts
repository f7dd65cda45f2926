/**
 * The Transport header of a SETUP (RFC 2326 §12.39): the first of the client's choices this server
 * serves, RTP over the RTSP connection (interleaved) or RTP/UDP unicast. Multicast, RTP over other
 * profiles and channels or ports out of range are not served.
 */

export type TransportChoice =
  | { kind: 'tcp'; channel?: number }
  | { kind: 'udp'; rtpPort: number; rtcpPort: number }
  | { kind: 'invalid'; reason: string };

export function chooseTransport(header: string | undefined, udpServed: boolean): TransportChoice {
  if (!header) return { kind: 'invalid', reason: 'SETUP without a Transport header' };
  let reason = 'no transport offered that this server serves (RTP/AVP/TCP interleaved, or RTP/AVP unicast UDP)';
  for (const spec of header.split(',').slice(0, 8)) {
    const [profile = '', ...params] = spec.trim().split(';');
    const fields = new Map<string, string>();
    for (const p of params) {
      const eq = p.indexOf('=');
      fields.set((eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase(), eq < 0 ? '' : p.slice(eq + 1).trim());
    }
    if (fields.has('multicast')) continue;
    const upper = profile.toUpperCase();
    if (upper === 'RTP/AVP/TCP') {
      const interleaved = fields.get('interleaved');
      if (interleaved === undefined) return { kind: 'tcp' };
      const match = /^(\d{1,3})(?:-(\d{1,3}))?$/.exec(interleaved);
      const channel = match ? Number(match[1]) : NaN;
      const second = match?.[2] === undefined ? channel + 1 : Number(match[2]);
      if (!(channel >= 0 && channel <= 254) || second !== channel + 1) {
        reason = `interleaved=${interleaved}: expected two channels n-(n+1) from 0 to 255`;
        continue;
      }
      return { kind: 'tcp', channel };
    }
    if (upper === 'RTP/AVP' || upper === 'RTP/AVP/UDP') {
      if (!udpServed) {
        reason = 'RTP over UDP is not served over rtsps (it would leave the video unencrypted): use TCP';
        continue;
      }
      const ports = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(fields.get('client_port') ?? '');
      const rtpPort = ports ? Number(ports[1]) : NaN;
      const rtcpPort = ports?.[2] === undefined ? rtpPort + 1 : Number(ports[2]);
      if (!(rtpPort >= 1 && rtpPort <= 65535 && rtcpPort >= 1 && rtcpPort <= 65535)) {
        reason = 'RTP/AVP without a valid client_port';
        continue;
      }
      return { kind: 'udp', rtpPort, rtcpPort };
    }
  }
  return { kind: 'invalid', reason };
}
