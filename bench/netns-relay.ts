/**
 * The relay's netns pass: an edge (its own namespace) publishes a 1280x720 30 fps camera (the
 * bench's noisy JPEG clip) to a hub (another namespace) over an uplink shaped to 4 Mbit/s (tbf on
 * the edge's end); one viewer of the hub, in the hub's namespace, is measured. The uplink in H.264
 * (the edge encodes once; `--publish-codec auto`) and in JPEG (`--publish-codec jpeg`, as before
 * H.264 uplinks) are measured one after the other in the same run, each with a fresh edge, the
 * viewer in its codec over WebSocket protocol v1. One line per codec: fps, latency p50/p99 from the
 * edge (the viewer's receipt minus the unit's time: the edge's capture time mapped to the hub's
 * clock, all on one machine clock; for H.264 the time the edge's encoder delivered the unit, so the
 * encoding itself is not in it), payload and uplink bytes per second, and whether the target is met:
 * H.264 ≥ 29 fps with p99 ≤ 300 ms. JPEG is the reference, without a target.
 *
 * Needs root; otherwise it says why instead. Called by bench/run.ts, or alone:
 *
 *   node --import tsx bench/netns-relay.ts       # makes its own clip; needs dist/ built
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOKEN_A } from '../test/relay/helpers.js';
import { addNetns, addVeth, deleteNetns, netnsId, netnsMissing, shapeLink } from '../test/support/netns.js';
import { CamrelayProcess, startCamrelay } from '../test/support/process.js';
import { runAlone } from './clip.js';
import { measure, summarize, type NetnsPassOptions } from './netns-h264.js';
import type { NetnsViewerPlan } from './netns-viewer.js';

const LINK = '4mbit';
const HUB = '10.234.1.1';
const PORT = 8080;

export async function runRelayPasses({ root, clip, warmupMs, measureMs }: NetnsPassOptions): Promise<string[]> {
  const missing = netnsMissing();
  if (missing) return [`netns relay (${LINK} uplink): not measured: ${missing}`];
  const id = netnsId();
  const ns = { edge: `camrelay-re-${id}`, hub: `camrelay-rh-${id}` };
  const dev = { edge: `cre${id}`, hub: `crh${id}` };
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-bench-relay-'));
  const procs: CamrelayProcess[] = [];
  try {
    addNetns(ns.edge, ns.hub);
    addVeth(
      { netns: ns.edge, dev: dev.edge, address: '10.234.1.2/24' },
      { netns: ns.hub, dev: dev.hub, address: `${HUB}/24` },
    );
    shapeLink(ns.edge, dev.edge, { rate: LINK, burst: '32kbit', latency: '50ms' });
    const hubConfig = join(dir, 'hub.yaml');
    writeFileSync(hubConfig, 'camera_defaults:\n  idle_grace: 1\n');
    const hub = await startCamrelay(
      [
        'serve',
        '--host',
        HUB,
        '--port',
        String(PORT),
        '--allow-anonymous',
        '--config',
        hubConfig,
        '--publisher',
        `e1=${TOKEN_A}`,
      ],
      { netns: ns.hub, timeoutMs: 20_000 },
    );
    procs.push(hub.proc);
    const edgeConfig = join(dir, 'edge.yaml');
    writeFileSync(edgeConfig, `cameras:\n  - { id: cam, source: "file:${clip}?fps=30" }\n`);
    const lines: string[] = [];
    for (const codec of ['h264', 'jpeg'] as const) {
      const from = hub.proc.logs.length;
      const edge = CamrelayProcess.spawn(
        [
          'serve',
          '--port',
          '8081',
          '--config',
          edgeConfig,
          '--publish-to',
          `ws://${HUB}:${PORT}`,
          '--name',
          'e1',
          '--token',
          TOKEN_A,
          '--publish-codec',
          codec === 'h264' ? 'auto' : 'jpeg',
        ],
        { netns: ns.edge },
      );
      procs.push(edge);
      try {
        await hub.proc.waitLog((l) => l.msg === 'edge announced its cameras', 20_000, 'the edge to announce', from);
        // H.264 warms up longer: the edge's encoder starts with the hub's first viewer.
        const plan: NetnsViewerPlan = {
          host: HUB,
          port: PORT,
          camera: 'e1.cam',
          codec,
          warmupMs: warmupMs + (codec === 'h264' ? 2000 : 0),
          measureMs,
        };
        const r = await measure(root, ns.hub, { netns: ns.edge, dev: dev.edge }, plan);
        const { fps, p50, p99, kb, verdict } = summarize(r, measureMs, codec);
        lines.push(
          `netns relay, ${codec === 'h264' ? 'H.264' : 'JPEG'} uplink of ${LINK.replace('mbit', ' Mbit/s')}, ` +
            `1280x720 at 30 fps, hub viewer: ${fps.toFixed(1)} fps, latency from the edge ` +
            `p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, ${kb(r.bytes)} payload ` +
            `(${kb(r.linkBytes)} on the uplink), ${r.keyframes} keyframes, ${r.skips} skips; ${verdict}`,
        );
      } catch (err) {
        lines.push(`netns relay, ${codec} uplink: not measured: ${(err as Error).message.split('\n')[0]}`);
      } finally {
        await edge.stop('SIGTERM', 5000);
      }
    }
    return lines;
  } catch (err) {
    return [`netns relay (${LINK} uplink): not measured: ${(err as Error).message.split('\n')[0]}`];
  } finally {
    await Promise.all(procs.map((p) => p.stop('SIGTERM', 5000)));
    deleteNetns(ns.edge, ns.hub);
    rmSync(dir, { recursive: true, force: true });
  }
}

await runAlone(import.meta.url, runRelayPasses);
