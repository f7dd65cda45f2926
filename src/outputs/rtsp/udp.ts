/**
 * The server's two UDP sockets for RTP/UDP sessions: RTP out of one, RTCP out of the other (the
 * `server_port` pair of every SETUP). RTCP from a client (its receiver reports) is a sign of life for
 * its session, found by the address and port it comes from.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { RtspSession } from './session.js';
import type { UdpPeer } from './transports.js';

export class UdpSockets {
  private readonly peers = new Map<string, RtspSession>();

  private constructor(
    readonly rtp: Socket,
    readonly rtcp: Socket,
  ) {
    const heard = (_: Buffer, from: { address: string; port: number }): void =>
      this.peers.get(key(from.address, from.port))?.heard();
    rtcp.on('message', heard);
    rtp.on('message', heard); // a client punching its NAT
    for (const s of [rtp, rtcp]) s.on('error', () => undefined); // ICMP unreachable and the like: the client's
  }

  static async open(host: string): Promise<UdpSockets> {
    const type = isIPv6(host.replace(/^\[|\]$/g, '')) ? 'udp6' : 'udp4';
    const bind = async (): Promise<Socket> => {
      const socket = createSocket({ type, reuseAddr: false });
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(0, host === 'localhost' ? undefined : host, () => {
          socket.off('error', reject);
          resolve();
        });
      });
      return socket;
    };
    return new UdpSockets(await bind(), await bind());
  }

  get rtpPort(): number {
    return this.rtp.address().port;
  }

  get rtcpPort(): number {
    return this.rtcp.address().port;
  }

  add(peer: UdpPeer, session: RtspSession): void {
    this.peers.set(key(peer.address, peer.rtpPort), session);
    this.peers.set(key(peer.address, peer.rtcpPort), session);
  }

  remove(peer: UdpPeer): void {
    this.peers.delete(key(peer.address, peer.rtpPort));
    this.peers.delete(key(peer.address, peer.rtcpPort));
  }

  close(): void {
    this.rtp.close();
    this.rtcp.close();
  }
}

function key(address: string, port: number): string {
  return `${address.replace(/^::ffff:/, '')}:${port}`;
}
