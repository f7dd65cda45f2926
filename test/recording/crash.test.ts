/**
 * Crashes and a lost index: camrelay killed with SIGKILL while it records leaves its open segment
 * to the next start, which cuts it back to its last whole fragment (a partial write after it is
 * dropped) so that it plays, and closes its index row; the recording then reaches to within about
 * two seconds of the kill, and the time the server was down is a gap 'stopped'. A corrupt or
 * missing index is set aside and rebuilt from the files.
 */
import assert from 'node:assert/strict';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startCamrelay, startServer, waitFor } from '../support/index.js';
import { readFragmentedFile } from '../../src/recording/fragment-file.js';
import { checkStore, gapRows, indexRows, makeH264Clip, segmentFiles, writeConfig } from './helpers.js';

describe('recording after a crash', () => {
  let dir: string;
  let root: string;
  let config: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'camrelay-rec-crash-'));
    root = join(dir, 'store');
    makeH264Clip(join(dir, 'clip.mp4'), { seconds: 16 });
    config = writeConfig(
      join(dir, 'camrelay.yaml'),
      `log: { level: warn }\nrecordings: { path: ${root}, segment_duration: 60 }\n` +
        `cameras:\n  - { id: cam, source: "file:${join(dir, 'clip.mp4')}", record: true }\n`,
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('repairs the segment a SIGKILL left open, to within ~2 s of the kill', async () => {
    const { proc } = await startCamrelay(['serve', '--config', config, '--port', '0']);
    let killedAt: number;
    try {
      // Recording for a few seconds into a long segment.
      const first = await waitFor(
        () => (existsSync(join(root, 'index.sqlite3')) ? indexRows(root)[0] : undefined),
        20_000,
        'the open segment row',
      );
      assert.equal(first.open, 1, 'the segment being written has an open row');
      // A few whole fragments on disk, so the repair has something to keep and something to cut.
      const file = join(root, first.file);
      await waitFor(
        async () => ((await readFragmentedFile(file).catch(() => undefined))?.fragments.length ?? 0) >= 3,
        10_000,
        'three fragments written',
      );
      killedAt = Date.now();
      proc.child.kill('SIGKILL');
      await proc.exited;
    } finally {
      proc.child.kill('SIGKILL');
    }
    const [row] = indexRows(root);
    assert.ok(row && row.open === 1, 'the row is still open after the kill');
    const path = join(root, row.file);
    const whole = statSync(path).size;
    // A fragment half written when the power went: garbage after the last whole fragment.
    appendFileSync(path, Buffer.concat([Buffer.from([0, 0, 0x40, 0, 0x6d, 0x6f, 0x6f, 0x66]), Buffer.alloc(500, 7)]));

    const ts = await startServer([], config);
    try {
      const report = ts.server.recordings!.repairReport!;
      assert.equal(report.trimmed, 1);
      const repaired = indexRows(root).find((r) => r.id === row.id)!;
      assert.equal(repaired.open, 0);
      assert.equal(statSync(path).size, whole, 'cut back to the last whole fragment');
      assert.equal(repaired.bytes, whole);
      assert.ok(repaired.end_ms >= killedAt - 2500, `recorded up to ${killedAt - repaired.end_ms} ms before the kill`);
      assert.ok(repaired.end_ms <= killedAt, 'not past the kill');
      // Recording goes on; the down time is a gap 'stopped'.
      await waitFor(() => indexRows(root).length >= 2, 20_000, 'a new segment');
      await waitFor(() => gapRows(root).find((g) => g.reason === 'stopped'), 10_000, 'the gap of the down time');
      const gap = gapRows(root).find((g) => g.reason === 'stopped')!;
      assert.equal(gap.start_ms, repaired.end_ms);
      assert.ok(gap.end_ms > killedAt);
    } finally {
      await ts.close();
    }
    await checkStore(root);
  });

  it('rebuilds a corrupt index, then a missing one, from the files', async () => {
    const before = indexRows(root).map(({ file, start_ms, end_ms, bytes }) => ({ file, start_ms, end_ms, bytes }));
    assert.ok(before.length >= 2);
    const index = join(root, 'index.sqlite3');
    for (const ext of ['-wal', '-shm']) rmSync(index + ext, { force: true });
    writeFileSync(index, Buffer.alloc(8192, 0x5a));

    let ts = await startServer([], config);
    try {
      assert.ok(ts.server.recordings!.repairReport!.rebuilt);
      assert.ok(
        readdirSync(root).some((f) => f.startsWith('index.sqlite3.corrupt-')),
        'the corrupt index set aside',
      );
      const rebuilt = ts.server.recordings!.segments('cam', 0, Date.now());
      for (const b of before) {
        const r = rebuilt.find((s) => s.file === join(root, b.file));
        assert.ok(r, `${b.file} is in the rebuilt index`);
        assert.deepEqual([r.startMs, r.endMs, r.bytes], [b.start_ms, b.end_ms, b.bytes]);
      }
    } finally {
      await ts.close();
    }
    await checkStore(root);

    for (const ext of ['', '-wal', '-shm']) rmSync(index + ext, { force: true });
    // Files a crash left without a whole fragment (one empty, one cut inside its init segment) are deleted.
    const first = join(root, segmentFiles(root)[0]!);
    writeFileSync(join(dirname(first), `${Date.now() - 1000}.mp4`), Buffer.alloc(0));
    writeFileSync(join(dirname(first), `${Date.now() - 500}.mp4`), readFileSync(first).subarray(0, 300));
    ts = await startServer([], config);
    try {
      assert.ok(ts.server.recordings!.repairReport!.rebuilt);
      assert.equal(ts.server.recordings!.repairReport!.deleted, 2);
      assert.ok(ts.server.recordings!.segments('cam', 0, Date.now()).length >= before.length);
    } finally {
      await ts.close();
    }
    await checkStore(root);
  });
});
