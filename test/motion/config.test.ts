import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, parseConfigText } from '../../src/config/load.js';

async function load(yaml: string) {
  const dir = await mkdtemp(join(tmpdir(), 'camrelay-motion-config-'));
  const file = join(dir, 'camrelay.yaml');
  await writeFile(file, yaml);
  return loadConfig({ config: file }, {});
}

describe('motion config', () => {
  it('motion: true takes every default', async () => {
    const config = await load(
      'cameras:\n  - { id: a, source: testsrc, motion: true }\n  - { id: b, source: testsrc }\n',
    );
    assert.deepEqual(config.cameras[0]!.motion, {
      fps: 5,
      threshold: 20,
      minArea: 0.0005,
      minDurationMs: 300,
      endAfterMs: 10_000,
      preRollMs: 5000,
      postRollMs: 5000,
      zones: [],
    });
    assert.equal(config.cameras[1]!.motion, undefined);
  });

  it('merges camera_defaults.motion key by key; enabled: false turns it off', async () => {
    const config = await load(
      [
        'camera_defaults:',
        '  motion: { fps: 2, end_after: 30 }',
        'cameras:',
        '  - id: yard',
        '    source: testsrc',
        '    motion:',
        '      threshold: 30',
        '      min_duration: 2',
        '      zones:',
        '        - { name: drive, points: [[0, 0.5], [1, 0.5], [1, 1], [0, 1]] }',
        '        - { name: tree, type: exclude, points: [[0, 0], [0.2, 0], [0.2, 0.3]] }',
        '  - { id: off, source: testsrc, motion: false }',
        '  - { id: plain, source: testsrc }',
      ].join('\n'),
    );
    const yard = config.cameras[0]!.motion!;
    assert.equal(yard.fps, 2);
    assert.equal(yard.endAfterMs, 30_000);
    assert.equal(yard.threshold, 30);
    assert.equal(yard.minDurationMs, 2000);
    assert.deepEqual(
      yard.zones.map((z) => [z.name, z.type, z.points.length]),
      [
        ['drive', 'include', 4],
        ['tree', 'exclude', 3],
      ],
    );
    assert.equal(config.cameras[1]!.motion, undefined);
    assert.equal(config.cameras[2]!.motion?.fps, 2, 'camera_defaults.motion applies to every camera');
  });

  const bad: [string, RegExp][] = [
    ['motion: { fps: 0 }', /cameras\[0\]\.motion\.fps: got 0, expected pictures a second, from 0\.5 to 15/],
    [
      'motion: { threshold: 300 }',
      /cameras\[0\]\.motion\.threshold: got 300, expected a grey-level change from 1 to 255/,
    ],
    ['motion: { min_area: 2 }', /cameras\[0\]\.motion\.min_area: got 2, expected a share of the picture from 0 to 1/],
    ['motion: { end_after: "ten" }', /cameras\[0\]\.motion\.end_after: got "ten", expected seconds from 1 to 3600/],
    [
      'motion: { treshold: 3 }',
      /cameras\[0\]\.motion\.treshold: unknown key \(value 3\); did you mean cameras\[0\]\.motion\.threshold\?/,
    ],
    ['motion: yes', /cameras\[0\]\.motion: got "yes", expected true, false or \{ enabled, fps/],
    [
      'motion: { zones: [{ name: a, points: [[0, 0], [1.5, 0], [1, 1]] }] }',
      /cameras\[0\]\.motion\.zones\[0\]\.points\[1\]\[0\]: got 1\.5, expected/,
    ],
    [
      'motion: { zones: [{ name: a, points: [[0, 0], [1, 1]] }] }',
      /zones\[0\]\.points: got \[\[0,0\],\[1,1\]\], expected a list of at least 3 points/,
    ],
    [
      'motion: { zones: [{ name: a, type: inside, points: [[0, 0], [1, 0], [1, 1]] }] }',
      /zones\[0\]\.type: got "inside", expected include or exclude/,
    ],
    [
      'motion: { zones: [{ name: a, points: [[0, 0], [1, 0], [1, 1]] }, { name: a, points: [[0, 0], [1, 0], [1, 1]] }] }',
      /zones\[1\]\.name: got "a", expected a zone name used only once per camera/,
    ],
  ];
  for (const [yaml, message] of bad) {
    it(`rejects ${yaml}`, () =>
      assert.throws(() => parseConfigText(`cameras:\n  - { id: a, source: testsrc, ${yaml} }\n`, 'f.yaml'), message));
  }
});
