/**
 * Where a PacedSender writes: one receiver's connection, whatever carries it (a viewer's WebSocket,
 * the edge's uplink to its hub, an RTSP client's interleaved channel). The sender decides what goes
 * and when; the transport only puts it on the wire in its own format.
 */
import type { AccessUnit, TrackConfig } from '../media/index.js';

export interface UnitTransport {
  /** False once the connection is closing or closed: nothing more is written. */
  readonly writable: boolean;
  /** Bytes written and not yet handed to the OS: past the sender's cap, units wait in its queue. */
  readonly bufferedBytes: number;
  /** H.264, H.265: before the first unit that needs `config` (the receiver configures its decoder). */
  sendConfig(config: TrackConfig): void;
  /**
   * Writes `unit` under the wire sequence number `seq` (the unit's own, or renumbered after a move
   * between tracks); returns the size of what an ack will acknowledge (the unit's message). `written`,
   * when given, is called once the write has been handed to the OS (or failed with the connection).
   */
  sendUnit(unit: AccessUnit, seq: number, written: (() => void) | undefined): number;
}
