/**
 * One RTSP connection: its requests one at a time, in order (RFC 2326 §10: OPTIONS, DESCRIBE, SETUP,
 * PLAY, PAUSE, TEARDOWN, GET_PARAMETER; SET_PARAMETER as a keep-alive too), the client's interleaved
 * RTCP, and the sessions it set up (they end with it). Every request but OPTIONS is authenticated
 * (access.ts: the users, tokens and limits of `auth`); a malformed one is answered with its status and
 * the connection closed. Nothing a client sends can throw out of here.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { CameraRegistry } from '../../hub/registry.js';
import { buildSdp } from '../../codec/rtp/index.js';
import type { StreamAccess, StreamViewer } from './access.js';
import { challenges, parseAuthorization, type DigestNonces } from './authorization.js';
import { videoMedia } from './describe.js';
import { parseStreamPath, type StreamPath } from './paths.js';
import { RequestParser, type RtspRequest } from './request-parser.js';
import { formatResponse } from './response.js';
import { RtspSession } from './session.js';
import { chooseTrack, type TrackChoice } from './track-config.js';
import { chooseTransport } from './transport-header.js';
import { InterleavedTransport, UdpTransport } from './transports.js';
import { RtpTrack } from './rtp-track.js';
import { RtspViewer } from './viewer.js';
import { AudioSender, audioMedia } from './audio.js';
import { nextViewerId } from '../viewer-id.js';
import { bucketPacer } from '../../stream/pacer.js';
import type { UdpSockets } from './udp.js';
import type { KernelQueues } from './kernel-queue.js';

export const PUBLIC_METHODS = 'OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER';
/** Requests waiting behind the one being answered: a client that pipelines more is closed. */
const MAX_PENDING_REQUESTS = 16;
/** Sessions one connection may hold (a client sets up one stream; a few for several cameras). */
const MAX_SESSIONS_PER_CONNECTION = 4;

export interface ServerContext {
  registry: CameraRegistry;
  access: StreamAccess;
  nonces: DigestNonces;
  log: Logger;
  /** Every session of the server, by id. */
  sessions: Map<string, RtspSession>;
  maxSessions: number;
  sessionTimeoutMs: number;
  /** Undefined over rtsps (UDP would carry the video in the clear). */
  udp: UdpSockets | undefined;
  scheme: 'rtsp' | 'rtsps';
  /** What each TCP connection's kernel buffer holds (Linux), to bound a slow client's delay. */
  kernel: KernelQueues;
  /** Counts a connection of a credential in; false when it has its share. */
  enterCredential(credential: string): boolean;
  leaveCredential(credential: string): void;
}

type Header = readonly [string, string];

class RtspError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: readonly Header[] = [],
    readonly close = false,
  ) {
    super(message);
  }
}

export class RtspConnection {
  private readonly parser = new RequestParser();
  private readonly address: string;
  private readonly log: Logger;
  private readonly described = new Map<string, Extract<TrackChoice, { ok: true }>>();
  readonly sessions = new Set<RtspSession>();
  private pending = 0;
  private chain: Promise<void> = Promise.resolve();
  /** The last Authorization header that checked out, and whom it named. */
  private authorized: { header: string | undefined; viewer: StreamViewer } | undefined;
  private credential: string | undefined;
  private closed = false;
  /** performance.now() of the last request (an idle connection without sessions is closed). */
  lastRequestAt = performance.now();
  readonly openedAt = performance.now();
  requests = 0;

  constructor(
    readonly socket: Socket,
    private readonly ctx: ServerContext,
  ) {
    this.address = socket.remoteAddress ?? '?';
    this.log = ctx.log.child({ rtsp: `${this.address}:${socket.remotePort ?? 0}` });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.log.debug({ err }, 'rtsp connection error'));
    socket.on('close', () => this.close());
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const session of this.sessions) this.endSession(session);
    if (this.credential !== undefined) this.ctx.leaveCredential(this.credential);
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    for (const item of this.parser.push(chunk)) {
      if (item.kind === 'interleaved') {
        // RTCP from the client (receiver reports) on a channel it set up: a sign of life.
        const session = [...this.sessions].find((s) => s.usesChannel(item.channel));
        if (!session) {
          this.log.debug({ channel: item.channel }, 'interleaved frame on a channel never set up: closing');
          this.close();
          return;
        }
        session.heard();
      } else if (item.kind === 'error') {
        this.log.debug({ reason: item.reason }, 'malformed rtsp request: closing');
        this.enqueue(() => {
          this.respond(item.status, item.cseq, [['Connection', 'close']]);
          this.socket.end();
        });
      } else {
        if (++this.pending > MAX_PENDING_REQUESTS) {
          this.log.debug('too many pipelined rtsp requests: closing');
          this.close();
          return;
        }
        const request = item.request;
        this.enqueue(() => this.handle(request));
      }
    }
  }

  private enqueue(work: () => Promise<void> | void): void {
    this.chain = this.chain.then(async () => {
      if (this.closed) return;
      try {
        await work();
      } catch (err) {
        this.log.error({ err }, 'rtsp request handler failed');
        this.close();
      }
    });
  }

  private async handle(request: RtspRequest): Promise<void> {
    this.pending--;
    this.requests++;
    this.lastRequestAt = performance.now();
    try {
      await this.dispatch(request);
    } catch (err) {
      if (!(err instanceof RtspError)) throw err;
      this.log.debug({ method: request.method, status: err.status, reason: err.message }, 'rtsp request refused');
      this.respond(err.status, request.cseq, [
        ...err.headers,
        ...(err.close ? [['Connection', 'close'] as const] : []),
      ]);
      if (err.close) this.socket.end();
    }
  }

  private respond(status: number, cseq: string | undefined, headers: readonly Header[] = [], body?: string): void {
    if (this.closed || !this.socket.writable) return;
    this.socket.write(formatResponse(status, cseq, headers, body));
  }

  private async dispatch(request: RtspRequest): Promise<void> {
    switch (request.method) {
      case 'OPTIONS':
        this.sessionOf(request, false)?.heard();
        return this.respond(200, request.cseq, [['Public', PUBLIC_METHODS]]);
      case 'DESCRIBE':
        return this.describe(request);
      case 'SETUP':
        return this.setup(request);
      case 'PLAY':
        return this.play(request);
      case 'PAUSE': {
        await this.authenticate(request);
        const session = this.sessionOf(request, true)!;
        session.pause();
        return this.respond(200, request.cseq, [['Session', session.id]]);
      }
      case 'TEARDOWN': {
        await this.authenticate(request);
        const session = this.sessionOf(request, true)!;
        this.endSession(session);
        return this.respond(200, request.cseq);
      }
      case 'GET_PARAMETER':
      case 'SET_PARAMETER': {
        await this.authenticate(request);
        const session = this.sessionOf(request, false);
        session?.heard();
        return this.respond(200, request.cseq, session ? [['Session', session.id]] : []);
      }
      case 'ANNOUNCE':
      case 'RECORD':
      case 'REDIRECT':
        throw new RtspError(405, `${request.method} is not served`, [['Allow', PUBLIC_METHODS]]);
      default:
        throw new RtspError(501, `unknown method ${request.method}`, [['Public', PUBLIC_METHODS]]);
    }
  }

  /** Who is asking; RtspError 401/403/429/503 otherwise. */
  private async authenticate(request: RtspRequest): Promise<StreamViewer> {
    const access = this.ctx.access;
    if (access.open) return { name: 'anonymous', maySee: () => true };
    const header = request.headers.get('authorization');
    if (this.authorized && this.authorized.header === header) return this.authorized.viewer;
    const credentials = parseAuthorization(header, request.method, this.ctx.nonces);
    const challenge = (stale = false): Header[] => challenges(access.digest, this.ctx.nonces, stale);
    if (!credentials) throw new RtspError(401, 'credentials required', challenge());
    if (credentials.scheme === 'invalid')
      throw new RtspError(401, credentials.reason, challenge(credentials.reason.includes('nonce')));
    const outcome =
      credentials.scheme === 'basic'
        ? await access.basic(credentials.name, credentials.password, this.address)
        : access.digestLogin(credentials.name, credentials.verify, this.address);
    if (!outcome.ok) {
      if (outcome.status === 401) throw new RtspError(401, outcome.message, challenge());
      throw new RtspError(outcome.status === 429 ? 429 : 503, outcome.message, [
        ['Retry-After', String(outcome.retryAfter ?? 5)],
      ]);
    }
    const credential = outcome.viewer.credential;
    if (credential !== undefined && credential !== this.credential) {
      if (!this.ctx.enterCredential(credential))
        throw new RtspError(429, `too many connections for ${outcome.viewer.name}`, [['Retry-After', '5']], true);
      if (this.credential !== undefined) this.ctx.leaveCredential(this.credential);
      this.credential = credential;
    }
    this.authorized = { header, viewer: outcome.viewer };
    return outcome.viewer;
  }

  private streamPath(request: RtspRequest): StreamPath {
    const path = parseStreamPath(request.uri);
    if (!path) throw new RtspError(404, `no stream at ${request.uri} (rtsp://host:port/<camera> or /<camera>/sub)`);
    return path;
  }

  private camera(path: StreamPath, viewer: StreamViewer) {
    const camera = this.ctx.registry.get(path.camera);
    if (!camera) throw new RtspError(404, `no camera ${path.camera}`);
    if (!viewer.maySee(path.camera)) throw new RtspError(403, `this credential may not see camera "${path.camera}"`);
    return camera;
  }

  private async describe(request: RtspRequest): Promise<void> {
    const path = this.streamPath(request);
    const viewer = await this.authenticate(request);
    const camera = this.camera(path, viewer);
    const accept = request.headers.get('accept');
    if (accept !== undefined && !/application\/sdp|\*\/\*/i.test(accept))
      throw new RtspError(406, 'only application/sdp is served');
    const choice = await chooseTrack(camera, path.stream);
    if (!choice.ok) throw new RtspError(choice.status, choice.reason);
    if (this.closed) return;
    this.described.set(path.key, choice);
    const base = this.baseUrl(request, path);
    let media;
    try {
      media = videoMedia(choice.config, path.stream === 'main' ? camera.fps() : undefined);
    } catch (err) {
      throw new RtspError(503, `camera ${camera.id}: its parameter sets do not parse (${(err as Error).message})`);
    }
    const audio = choice.audio ? audioMedia(choice.audio) : undefined;
    if (!audio) delete choice.audio; // a configuration RTP does not carry here: video alone
    const sdp = buildSdp({
      sessionId: String(Date.now()),
      address: this.socket.localAddress?.replace(/^::ffff:/, '') ?? '0.0.0.0',
      name: camera.name,
      media: [{ ...media, control: 'trackID=0' }, ...(audio ? [{ ...audio, control: 'trackID=1' }] : [])],
    });
    this.respond(
      200,
      request.cseq,
      [
        ['Content-Base', base],
        ['Content-Type', 'application/sdp'],
      ],
      sdp,
    );
  }

  private async setup(request: RtspRequest): Promise<void> {
    const path = this.streamPath(request);
    const viewer = await this.authenticate(request);
    const camera = this.camera(path, viewer);
    const choice = this.described.get(path.key);
    if (!choice) throw new RtspError(455, `SETUP of ${path.key} before its DESCRIBE on this connection`);
    const index = path.track ?? 0;
    if (index !== 0 && !(index === 1 && choice.audio))
      throw new RtspError(404, `${path.key} has no track ${path.track}`);
    const udp = this.ctx.udp;
    const transport = chooseTransport(request.headers.get('transport'), udp !== undefined);
    if (transport.kind === 'invalid') throw new RtspError(461, transport.reason);
    let session = this.sessionOf(request, false);
    if (request.headers.has('session')) {
      if (!session) throw new RtspError(454, 'no such session on this connection');
      if (session.path.key !== path.key) throw new RtspError(459, 'a session holds the tracks of one stream');
      if ((index === 0 ? session.video : session.audio) !== undefined)
        throw new RtspError(459, `track ${index} is set up already`);
      if (session.kind !== transport.kind) throw new RtspError(461, 'every track of a session goes the same way');
    } else {
      if (this.sessions.size >= MAX_SESSIONS_PER_CONNECTION)
        throw new RtspError(455, `at most ${MAX_SESSIONS_PER_CONNECTION} sessions per connection`);
      if (this.ctx.sessions.size >= this.ctx.maxSessions)
        throw new RtspError(503, `too many sessions (at most ${this.ctx.maxSessions})`, [['Retry-After', '5']]);
      session = new RtspSession(camera, path, choice.codec, choice.quality, viewer, transport.kind);
    }
    let reply: string;
    if (transport.kind === 'tcp') {
      const channel = transport.channel ?? index * 2;
      if ([...this.sessions, session].some((s) => s.usesChannel(channel) || s.usesChannel(channel + 1)))
        throw new RtspError(461, `interleaved channels ${channel}-${channel + 1} are in use`);
      const track = new RtpTrack(channel);
      if (index === 0) {
        session.video = {
          kind: 'tcp',
          track,
          transport: new InterleavedTransport(this.socket, track, this.ctx.kernel),
        };
      } else {
        session.audio = { sender: new AudioSender(choice.audio!, track, { kind: 'tcp', socket: this.socket }) };
      }
      reply = `RTP/AVP/TCP;unicast;interleaved=${channel}-${channel + 1};ssrc=${hex(track.ssrc)}`;
    } else {
      const track = new RtpTrack(0);
      // Only to the address the request came from: the server is no one's packet cannon.
      const peer = {
        address: this.address.replace(/^::ffff:/, ''),
        rtpPort: transport.rtpPort,
        rtcpPort: transport.rtcpPort,
      };
      if (index === 0) {
        session.video = { kind: 'udp', track, transport: new UdpTransport(udp!.rtp, udp!.rtcp, peer, track), peer };
      } else {
        const out = { kind: 'udp' as const, rtp: udp!.rtp, rtcp: udp!.rtcp, peer };
        session.audio = { sender: new AudioSender(choice.audio!, track, out), peer };
      }
      udp!.add(peer, session);
      reply =
        `RTP/AVP;unicast;client_port=${peer.rtpPort}-${peer.rtcpPort};` +
        `server_port=${udp!.rtpPort}-${udp!.rtcpPort};ssrc=${hex(track.ssrc)}`;
    }
    this.sessions.add(session);
    this.ctx.sessions.set(session.id, session);
    const timeout = Math.round(this.ctx.sessionTimeoutMs / 1000);
    this.respond(200, request.cseq, [
      ['Transport', reply],
      ['Session', `${session.id};timeout=${timeout}`],
    ]);
  }

  private async play(request: RtspRequest): Promise<void> {
    const viewer = await this.authenticate(request);
    const session = this.sessionOf(request, true)!;
    if (!viewer.maySee(session.path.camera))
      throw new RtspError(403, `this credential may not see camera "${session.path.camera}"`);
    session.heard();
    const base = this.baseUrl(request, session.path);
    const info: string[] = [];
    if (session.video) info.push(`url=${base}trackID=0;seq=${session.video.track.firstSequence}`);
    if (session.audio) info.push(`url=${base}trackID=1;seq=${session.audio.sender.track.firstSequence}`);
    const headers: Header[] = [
      ['Session', session.id],
      ['Range', 'npt=0.000-'],
      ['RTP-Info', info.join(',')],
    ];
    if (session.playing) return this.respond(200, request.cseq, headers);
    const admitted = this.ctx.access.admit(session.path.camera, viewer);
    if (admitted === 'credential')
      throw new RtspError(429, 'too many viewers for this credential', [['Retry-After', '5']]);
    if (admitted === 'full') throw new RtspError(503, 'too many viewers', [['Retry-After', '5']]);
    const video = session.video;
    if (video && !session.viewer) {
      session.viewer = new RtspViewer({
        id: nextViewerId('rtsp'),
        remoteAddress: this.address,
        codec: session.codec,
        transport: video.transport,
        path: video.kind,
        // UDP has no back-pressure: paced, a catch-up GOP at up to 4 times the stream's rate.
        ...(video.kind === 'udp' ? { pacer: bucketPacer(Math.max(30, session.camera.fps()) * 4, 8) } : {}),
      });
    }
    // The response first: nothing of the stream may come before it on the connection.
    this.respond(200, request.cseq, headers);
    try {
      session.play(session.viewer, admitted);
    } catch (err) {
      this.log.debug({ err }, 'camera closed before the rtsp session could play');
      admitted();
      this.endSession(session);
    }
  }

  /** The session a request names; RtspError 454 when `required` and it names none of this connection's. */
  private sessionOf(request: RtspRequest, required: boolean): RtspSession | undefined {
    const header = request.headers.get('session');
    const id = header?.split(';')[0]?.trim();
    const session = id === undefined ? undefined : this.ctx.sessions.get(id);
    if (session && this.sessions.has(session)) return session;
    if (required) throw new RtspError(454, id === undefined ? 'no Session header' : `no session ${id}`);
    return undefined;
  }

  endSession(session: RtspSession): void {
    session.close();
    this.sessions.delete(session);
    this.ctx.sessions.delete(session.id);
    if (session.video?.kind === 'udp') this.ctx.udp?.remove(session.video.peer);
    if (session.audio?.peer) this.ctx.udp?.remove(session.audio.peer);
  }

  /** The URL a client resolves the SDP's controls against: the request's, ending in `/`. */
  private baseUrl(request: RtspRequest, path: StreamPath): string {
    const uri = request.uri.replace(/[?#].*$/, '');
    const absolute = /^rtsps?:\/\/[^/]+/i.exec(uri)?.[0];
    const host = absolute ?? `${this.ctx.scheme}://${hostPort(this.socket)}`;
    return `${host}/${path.key.split('/').map(encodeURIComponent).join('/')}/`;
  }
}

function hex(n: number): string {
  return n.toString(16).toUpperCase().padStart(8, '0');
}

function hostPort(socket: Socket): string {
  const address = (socket.localAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  return `${address.includes(':') ? `[${address}]` : address}:${socket.localPort ?? 554}`;
}
