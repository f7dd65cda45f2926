/**
 * What a hub agrees to in answer to an edge's hello (docs/protocol.md, "Publisher protocol"): H.264 only
 * when the edge lists it (an edge that lists no codecs is an older one and sends JPEG), audio beside an
 * H.264 uplink only when the edge offers it, snapshots from any edge that offers them, pre-roll with an
 * H.264 uplink (what the recording takes). Fields the edge did not send are not answered, so an older edge
 * sees the hello it knows.
 */
import type { EdgeMessage, HubMessage } from './messages.js';
import {
  RELAY_AUDIO_CODECS,
  RELAY_PROTOCOL,
  type RelayAudioCodec,
  type RelayCodec,
  type RelayEventFeature,
} from './protocol.js';

export type EdgeHello = Extract<EdgeMessage, { type: 'hello' }>;

export interface HelloAgreement {
  codecs: RelayCodec[];
  audio: RelayAudioCodec[];
  events: RelayEventFeature[];
  /** The hub's hello, always sent (an edge of another version learns which protocol this hub speaks). */
  answer: HubMessage;
}

export function agreeToHello(hello: EdgeHello, maxFrameBytes: number): HelloAgreement {
  const codecs: RelayCodec[] = hello.codecs?.includes('h264') ? ['h264', 'jpeg'] : ['jpeg'];
  const h264 = codecs.includes('h264');
  const audio = hello.audio && h264 ? RELAY_AUDIO_CODECS.filter((c) => hello.audio!.includes(c)) : [];
  const events = hello.events ? hello.events.filter((f) => f !== 'pre-roll' || h264) : [];
  return {
    codecs,
    audio,
    events,
    answer: {
      type: 'hello',
      protocol: RELAY_PROTOCOL,
      role: 'hub',
      maxFrameBytes,
      codecs,
      ...(hello.audio ? { audio } : {}),
      ...(hello.events ? { events } : {}),
    },
  };
}
