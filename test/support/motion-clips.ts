/**
 * The motion detector's test clips, made by ffmpeg (lavfi) on demand into a cache folder, each with its
 * ground truth written beside it (`<name>.json`): objects of several sizes crossing a textured scene at
 * known times (and a flat grey one), and distractors alone (lights switching, an IR-cut switch, dusk,
 * heavy noise, rain, a flickering light, leaves shaking in an exclude zone). 320x240, 10 fps, H.264 (the detector sees
 * compression as it would from a camera), 12-20 s each. Nothing here is committed but this script:
 * `ensureMotionClips()` makes what is missing (about a second a clip) and reuses the rest.
 *
 * `npx tsx test/support/motion-clips.ts` makes them all and prints where.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { MotionZone } from '../../src/motion/config.js';

const run = promisify(execFile);

/** Bump when a clip's recipe changes: the cache is keyed by it. */
const RECIPE_VERSION = 6;
export const CLIP_WIDTH = 320;
export const CLIP_HEIGHT = 240;
export const CLIP_FPS = 10;

export interface ClipTruth {
  name: string;
  /** `object`: every event below must be found; `distractor`: no event may be. */
  kind: 'object' | 'distractor';
  width: number;
  height: number;
  fps: number;
  /** Seconds. */
  duration: number;
  /** What happens, in words. */
  description: string;
  /** Seconds from the clip's start: an object becomes visible at `start`, is gone at `end`. */
  events: { start: number; end: number; zones: string[] }[];
  /** The zones the camera is configured with for this clip. */
  zones: MotionZone[];
}

export interface MotionClip {
  truth: ClipTruth;
  /** The H.264 MP4. */
  path: string;
  /** The truth, as JSON, beside it. */
  truthPath: string;
}

interface Recipe {
  truth: Omit<ClipTruth, 'name' | 'width' | 'height' | 'fps'>;
  /** Inputs after the background (each `-f lavfi -i …`). */
  inputs?: string[];
  /** The filter graph from [0:v] (the background) to [out]. */
  graph: string;
}

/** An object (a box of `shade`) crossing from left to right at `y`, entering at `t0` at `speed` px/s. */
function crossing(w: number, h: number, shade: string, y: number, t0: number, speed: number) {
  const t1 = t0 + (CLIP_WIDTH + w) / speed;
  return {
    input: `color=c=${shade}:s=${w}x${h}:r=${CLIP_FPS}`,
    overlay: `overlay=x='-${w}+${speed}*(t-${t0})':y=${y}:enable='between(t,${t0},${t1.toFixed(2)})':eval=frame`,
    event: { start: t0, end: Math.round(t1 * 100) / 100 },
  };
}

const NOISE = 'noise=alls=6:allf=t';
/** The scene painted over with one flat grey (it decodes to that level exactly). */
const flat = (rgb: string) => `drawbox=x=0:y=0:w=iw:h=ih:color=${rgb}:t=fill`;
const TREE: MotionZone = {
  name: 'tree',
  type: 'exclude',
  points: [
    [0.62, 0],
    [1, 0],
    [1, 0.5],
    [0.62, 0.5],
  ],
};
const DRIVE: MotionZone = {
  name: 'drive',
  type: 'include',
  points: [
    [0, 0.55],
    [1, 0.55],
    [1, 1],
    [0, 1],
  ],
};
/** Leaves: a patch of texture shaking inside the tree zone (its pixels 198-320 x 0-120), 6 px clear of its edges. */
const LEAVES =
  `[0:v]split[bg][src];[src]crop=90:80:40:20,eq=contrast=1.8[patch];` +
  `[bg][patch]overlay=x='214+8*sin(t*11)':y='12+6*sin(t*7+1)':eval=frame`;

function recipes(): Record<string, Recipe> {
  const small = crossing(10, 10, '0x202020', 170, 4, 60);
  const medium = crossing(40, 30, '0xe8e8e8', 60, 3.5, 100);
  const large = crossing(140, 110, '0x303030', 70, 4, 150);
  const slow = crossing(18, 44, '0x1a1a1a', 150, 3, 20);
  const inZone = crossing(30, 40, '0xf0f0f0', 170, 5, 80);
  const night = crossing(30, 30, '0x6a6a6a', 120, 4, 70);
  const flatLight = crossing(40, 30, 'white', 100, 3, 60);
  const flatDark = crossing(40, 30, '0x202020', 100, 3, 60);
  return {
    'object-small': {
      truth: {
        kind: 'object',
        duration: 12,
        description: 'a 10x10 dark box crosses at 60 px/s from 4 s',
        events: [{ ...small.event, zones: [] }],
        zones: [],
      },
      inputs: [small.input],
      graph: `[0:v][1:v]${small.overlay},${NOISE}`,
    },
    'object-medium': {
      truth: {
        kind: 'object',
        duration: 12,
        description: 'a 40x30 light box crosses at 100 px/s from 3.5 s',
        events: [{ ...medium.event, zones: [] }],
        zones: [],
      },
      inputs: [medium.input],
      graph: `[0:v][1:v]${medium.overlay},${NOISE}`,
    },
    'object-large': {
      truth: {
        kind: 'object',
        duration: 12,
        description: 'a 140x110 dark box (a fifth of the picture) crosses at 150 px/s from 4 s',
        events: [{ ...large.event, zones: [] }],
        zones: [],
      },
      inputs: [large.input],
      graph: `[0:v][1:v]${large.overlay},${NOISE}`,
    },
    'object-slow': {
      truth: {
        kind: 'object',
        duration: 14,
        description: 'an 18x44 figure walks in at 20 px/s from 3 s (still in view at the end)',
        events: [{ start: slow.event.start, end: 14, zones: [] }],
        zones: [],
      },
      inputs: [slow.input],
      graph: `[0:v][1:v]${slow.overlay},${NOISE}`,
    },
    'object-zone': {
      truth: {
        kind: 'object',
        duration: 12,
        description: 'leaves shake in the excluded tree all along; a 30x40 box crosses the drive from 5 s',
        events: [{ ...inZone.event, zones: ['drive'] }],
        zones: [DRIVE, TREE],
      },
      inputs: [inZone.input],
      graph: `${LEAVES}[leaves];[leaves][1:v]${inZone.overlay},${NOISE}`,
    },
    'object-night': {
      truth: {
        kind: 'object',
        duration: 12,
        description: 'a dark, noisy night scene; a dim 30x30 box crosses at 70 px/s from 4 s',
        events: [{ ...night.event, zones: [] }],
        zones: [],
      },
      inputs: [night.input],
      graph: `[0:v]eq=brightness=-0.25:contrast=0.5[dark];[dark][1:v]${night.overlay},noise=alls=18:allf=t`,
    },
    // A flat grey picture, no noise (a wall, a test pattern): it decodes to one grey level, every
    // background pixel in one band of the analysis' tone curve (128 and 135: a band's ends, where a box
    // nudges the background into the band beside).
    'object-flat-light': {
      truth: {
        kind: 'object',
        duration: 12,
        description: 'a flat grey (135) picture without noise; a 40x30 white box crosses at 60 px/s from 3 s',
        events: [{ ...flatLight.event, zones: [] }],
        zones: [],
      },
      inputs: [flatLight.input],
      graph: `[0:v]${flat('0x878787')}[flat];[flat][1:v]${flatLight.overlay}`,
    },
    'object-flat-dark': {
      truth: {
        kind: 'object',
        duration: 12,
        description: 'a flat grey (128) picture without noise; a 40x30 dark box crosses at 60 px/s from 3 s',
        events: [{ ...flatDark.event, zones: [] }],
        zones: [],
      },
      inputs: [flatDark.input],
      graph: `[0:v]${flat('gray')}[flat];[flat][1:v]${flatDark.overlay}`,
    },
    'distractor-lights': {
      truth: {
        kind: 'distractor',
        duration: 14,
        description: 'lights switched on at 3 s, off at 7 s, dimmer still at 10 s',
        events: [],
        zones: [],
      },
      graph:
        `[0:v]eq=eval=frame:brightness='if(between(t,3,7),0.22,if(gte(t,10),-0.2,0))'` +
        `:contrast='if(between(t,3,7),1.3,if(gte(t,10),0.8,1))',${NOISE}`,
    },
    'distractor-ircut': {
      truth: {
        kind: 'distractor',
        duration: 12,
        description:
          'IR-cut: at 4 s the picture switches to a flat, bright night tone curve with more noise; back at 9 s',
        events: [],
        zones: [],
      },
      graph:
        `[0:v]eq=eval=frame:gamma='if(between(t,4,9),1.7,1)':contrast='if(between(t,4,9),0.6,1)'` +
        `:brightness='if(between(t,4,9),0.08,0)',noise=alls=6:allf=t,noise=alls=14:allf=t:enable='between(t,4,9)'`,
    },
    'distractor-dusk': {
      truth: {
        kind: 'distractor',
        duration: 20,
        description: 'dusk: the picture darkens and flattens steadily over 20 s',
        events: [],
        zones: [],
      },
      graph: `[0:v]eq=eval=frame:brightness='-0.4*t/20':contrast='1-0.5*t/20',${NOISE}`,
    },
    'distractor-noise': {
      truth: {
        kind: 'distractor',
        duration: 12,
        description: 'heavy sensor noise all along',
        events: [],
        zones: [],
      },
      graph: `[0:v]noise=alls=45:allf=t`,
    },
    'distractor-rain': {
      truth: {
        kind: 'distractor',
        duration: 12,
        description: 'rain: bright 2x2 drops on about 1.4 % of the picture, in new places every picture',
        events: [],
        zones: [],
      },
      // 2x2 drops on about 1.4 % of the picture, in new places every picture (all in yuv420p: a grey
      // format between the filters would change the noise's range under the threshold).
      inputs: [`color=c=gray:s=${CLIP_WIDTH / 2}x${CLIP_HEIGHT / 2}:r=${CLIP_FPS},format=yuv420p`],
      graph:
        `[1:v]noise=alls=100:allf=t+u,geq=lum='if(gt(p(X,Y),173),235,16)':cb=128:cr=128,` +
        `scale=${CLIP_WIDTH}:${CLIP_HEIGHT}:flags=neighbor[rain];` +
        `[0:v]format=yuv420p[base];[base][rain]blend=all_mode=lighten:shortest=1,${NOISE}`,
    },
    'distractor-flicker': {
      truth: {
        kind: 'distractor',
        duration: 12,
        description: 'a flickering light: the picture jumps brighter on random frames, some 4 in 10',
        events: [],
        zones: [],
      },
      graph: `[0:v]eq=eval=frame:brightness='0.18*gt(random(0),0.6)':contrast='1+0.2*gt(random(1),0.5)',${NOISE}`,
    },
    'distractor-leaves': {
      truth: {
        kind: 'distractor',
        duration: 12,
        description: 'leaves shake in the excluded tree all along, nothing else moves',
        events: [],
        zones: [TREE],
      },
      graph: `${LEAVES},${NOISE}`,
    },
  };
}

/** The cache folder (CAMRELAY_MOTION_CLIPS, else one under the system's temporary folder). */
export function motionClipDir(): string {
  return process.env.CAMRELAY_MOTION_CLIPS ?? join(tmpdir(), `camrelay-motion-clips-v${RECIPE_VERSION}`);
}

/** The static scene every clip starts from: smooth shading, edges, a fixed fine texture. */
async function background(dir: string): Promise<string> {
  const path = join(dir, 'background.png');
  if (existsSync(path)) return path;
  const scene =
    `color=c=gray:s=${CLIP_WIDTH}x${CLIP_HEIGHT}:d=1,format=gray,` +
    `geq=lum='128+45*sin(X/9)*cos(Y/13)+30*sin((X+2*Y)/29)+15*sin(X*Y/900)',` +
    `drawbox=x=30:y=20:w=90:h=70:color=black@0.5:t=3,drawbox=x=150:y=140:w=110:h=70:color=white@0.4:t=fill,` +
    `drawbox=x=0:y=125:w=${CLIP_WIDTH}:h=4:color=black@0.6:t=fill,noise=alls=12`;
  // Tests in parallel may make the same file: each writes its own, the rename is atomic.
  const tmp = `${path}.${process.pid}.tmp.png`;
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', scene, '-frames:v', '1', tmp]);
  renameSync(tmp, path);
  return path;
}

async function makeClip(dir: string, name: string, recipe: Recipe, bg: string): Promise<MotionClip> {
  const path = join(dir, `${name}.mp4`);
  const truthPath = join(dir, `${name}.json`);
  const truth: ClipTruth = { name, width: CLIP_WIDTH, height: CLIP_HEIGHT, fps: CLIP_FPS, ...recipe.truth };
  if (!existsSync(path) || !existsSync(truthPath)) {
    const d = String(recipe.truth.duration);
    const args = ['-hide_banner', '-loglevel', 'error', '-y', '-loop', '1', '-framerate', String(CLIP_FPS)];
    args.push('-t', d, '-i', bg);
    for (const input of recipe.inputs ?? []) args.push('-f', 'lavfi', '-t', d, '-i', input);
    args.push('-filter_complex', `${recipe.graph},format=yuv420p[out]`, '-map', '[out]', '-t', d);
    args.push('-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-g', String(CLIP_FPS * 2), '-bf', '0');
    const tmp = join(dir, `${name}.${process.pid}.tmp.mp4`);
    args.push('-f', 'mp4', tmp);
    await run('ffmpeg', args);
    writeFileSync(`${truthPath}.${process.pid}`, `${JSON.stringify(truth, null, 2)}\n`);
    renameSync(`${truthPath}.${process.pid}`, truthPath);
    renameSync(tmp, path);
  }
  return { truth: JSON.parse(readFileSync(truthPath, 'utf8')) as ClipTruth, path, truthPath };
}

/** The clips (all, or those named), made where missing. */
export async function ensureMotionClips(names?: string[]): Promise<MotionClip[]> {
  const dir = motionClipDir();
  mkdirSync(dir, { recursive: true });
  const bg = await background(dir);
  const all = recipes();
  const wanted = names ?? Object.keys(all);
  const clips: MotionClip[] = [];
  for (const name of wanted) {
    const recipe = all[name];
    if (!recipe) throw new Error(`no motion clip "${name}" (known: ${Object.keys(all).join(', ')})`);
    clips.push(await makeClip(dir, name, recipe, bg));
  }
  return clips;
}

/** Every clip's name. */
export function motionClipNames(): string[] {
  return Object.keys(recipes());
}

/**
 * A clip decoded as the detector's decoder would (area-scaled to at most 320 wide, grey) at `fps`:
 * each picture and its time in ms from the clip's start.
 */
export async function grayFrames(
  clip: MotionClip,
  fps: number,
): Promise<{ width: number; height: number; frames: { at: number; data: Uint8Array }[] }> {
  const width = Math.min(320, clip.truth.width);
  const height = Math.round((width * clip.truth.height) / clip.truth.width / 2) * 2;
  const { stdout } = await run(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-i', clip.path, '-an'].concat([
      '-vf',
      `fps=${fps},scale=${width}:${height}:flags=area,format=gray`,
      '-f',
      'rawvideo',
      'pipe:1',
    ]),
    { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 },
  );
  const size = width * height;
  const frames: { at: number; data: Uint8Array }[] = [];
  for (let i = 0; (i + 1) * size <= stdout.length; i++)
    frames.push({ at: (i * 1000) / fps, data: new Uint8Array(stdout.buffer, stdout.byteOffset + i * size, size) });
  return { width, height, frames };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const clips = await ensureMotionClips();
  for (const c of clips) console.log(`${c.path}  ${c.truth.description}`);
}
