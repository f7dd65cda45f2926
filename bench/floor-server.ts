/**
 * The floor of `npm run bench`: the least a server can do to fan one camera out to N WebSocket
 * viewers, for camrelay's CPU per viewer to be compared with. Bare `ws`, the same 16-byte header
 * (src/wire), the same window/ack flow control (window 2, one ack per video message; JPEG: the
 * newest picture waits, H.264: the pending units wait in order and past a bound the viewer skips
 * to the next keyframe), and nothing else: no statistics, no auth, no hub, no logging.
 *
 *   node --import tsx bench/floor-server.ts '{"codec":"jpeg","clip":"/tmp/x/frames.mjpeg","fps":30}'
 *   node --import tsx bench/floor-server.ts '{"codec":"h264","units":"/tmp/x/units.bin","fps":30}'
 *
 * It replays the same units camrelay serves, looped at `fps`: for JPEG the JPEGs of the bench's
 * clip; for H.264 the access units camrelay's encoder produced, recorded from a camrelay viewer
 * by bench/run.ts (units.bin: u32 length + the `config` text message, then per unit u8 keyframe,
 * u32 length, the access unit). Each unit's message (header + payload) is built once and shared
 * by every viewer, as camrelay does. Any path upgrades; prints `listening PORT` when ready.
 */
import { readFileSync } from 'node:fs';
import { WebSocketServer, WebSocket } from 'ws';
import {
  CODEC_H264,
  CODEC_JPEG,
  DEFAULT_WINDOW,
  FLAG_KEYFRAME,
  HEADER_BYTES,
  MAX_BUFFERED_BYTES,
} from '../src/wire/constants.js';
import { encodeHeader, seqDiff } from '../src/wire/header.js';

export interface FloorPlan {
  codec: 'jpeg' | 'h264';
  /** JPEG: the bench's .mjpeg clip (concatenated JPEGs). */
  clip?: string;
  /** H.264: the recorded units (see above). */
  units?: string;
  fps: number;
}

interface Unit {
  keyframe: boolean;
  data: Buffer;
}

/** Most H.264 units waiting per viewer (camrelay's GOP_QUEUE_UNITS). */
const MAX_PENDING = 256;

const plan = JSON.parse(process.argv[2] ?? '{}') as FloorPlan;
const h264 = plan.codec === 'h264';

function jpegsOf(clip: Buffer): Unit[] {
  const units: Unit[] = [];
  let at = clip.indexOf(Buffer.from([0xff, 0xd8]));
  while (at >= 0) {
    const end = clip.indexOf(Buffer.from([0xff, 0xd9]), at + 2);
    if (end < 0) break;
    units.push({ keyframe: true, data: clip.subarray(at, end + 2) });
    at = clip.indexOf(Buffer.from([0xff, 0xd8]), end + 2);
  }
  return units;
}

function recordedUnits(file: Buffer): { config: string; units: Unit[] } {
  const configLength = file.readUInt32BE(0);
  const config = file.toString('utf8', 4, 4 + configLength);
  const units: Unit[] = [];
  for (let at = 4 + configLength; at + 5 <= file.length;) {
    const length = file.readUInt32BE(at + 1);
    units.push({ keyframe: file[at] === 1, data: file.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return { config, units };
}

const source = h264
  ? recordedUnits(readFileSync(plan.units!))
  : { config: '', units: jpegsOf(readFileSync(plan.clip!)) };
if (!source.units.length) throw new Error('no units to replay');

/** A built message: header + payload, one Buffer for every viewer. */
interface Message {
  seq: number;
  keyframe: boolean;
  buffer: Buffer;
}

class Viewer {
  private readonly unacked: number[] = [];
  private readonly pending: Message[] = [];
  private needKeyframe = true;
  private configSent = false;

  constructor(private readonly socket: WebSocket) {}

  push(message: Message): void {
    if (!h264) {
      this.pending.length = 0; // the newest picture wins
    } else if (this.pending.length >= MAX_PENDING) {
      this.pending.length = 0;
      this.needKeyframe = true;
    }
    if (this.needKeyframe) {
      if (!message.keyframe) return;
      this.needKeyframe = false;
    }
    this.pending.push(message);
    this.flush();
  }

  ack(seq: number): void {
    while (this.unacked.length && seqDiff(this.unacked[0]!, seq) <= 0) this.unacked.shift();
    this.flush();
  }

  private flush(): void {
    while (
      this.pending.length &&
      this.unacked.length < DEFAULT_WINDOW &&
      this.socket.readyState === WebSocket.OPEN &&
      this.socket.bufferedAmount < MAX_BUFFERED_BYTES
    ) {
      const message = this.pending.shift()!;
      if (h264 && !this.configSent) {
        this.configSent = true;
        this.socket.send(source.config);
      }
      this.unacked.push(message.seq);
      this.socket.send(message.buffer);
    }
  }
}

const viewers = new Set<Viewer>();
let seq = 0;
let latest: Message | undefined;
/** H.264: the current group of pictures, for a new viewer to start from. */
const gop: Message[] = [];

function publish(unit: Unit): void {
  const buffer = Buffer.allocUnsafe(HEADER_BYTES + unit.data.length);
  encodeHeader(
    buffer,
    0,
    ++seq,
    performance.timeOrigin + performance.now(),
    h264 ? CODEC_H264 : CODEC_JPEG,
    unit.keyframe ? FLAG_KEYFRAME : 0,
  );
  unit.data.copy(buffer, HEADER_BYTES);
  const message: Message = { seq, keyframe: unit.keyframe, buffer };
  latest = message;
  if (h264) {
    if (unit.keyframe) gop.length = 0;
    gop.push(message);
  }
  for (const viewer of viewers) viewer.push(message);
}

const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
server.on('connection', (socket) => {
  const viewer = new Viewer(socket);
  viewers.add(viewer);
  socket.on('message', (data, isBinary) => {
    if (isBinary) return;
    const message = JSON.parse(data.toString()) as { type?: string; seq?: number };
    if (message.type === 'ack' && typeof message.seq === 'number') viewer.ack(message.seq);
  });
  socket.on('close', () => viewers.delete(viewer));
  socket.send(JSON.stringify({ type: 'hello', protocol: 1, camera: 'bench', codec: plan.codec, window: 2 }));
  // A picture at once, as camrelay does: the latest JPEG, or the current GOP.
  for (const message of h264 ? gop.slice() : latest ? [latest] : []) viewer.push(message);
});
server.on('listening', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.stdout.write(`listening ${address.port}\n`);
});

// Paced by the clock, not by a fixed interval: no drift, as a camera.
const periodMs = 1000 / plan.fps;
const t0 = performance.now();
let n = 0;
const tick = (): void => {
  publish(source.units[n % source.units.length]!);
  n++;
  setTimeout(tick, Math.max(0, t0 + n * periodMs - performance.now()));
};
tick();
process.on('SIGTERM', () => process.exit(0));
