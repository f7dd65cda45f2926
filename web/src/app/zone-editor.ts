/**
 * `#/zones/<id>`: the motion zone editor. The camera's live picture (its snapshot, again every second)
 * under a canvas that shows what the detector sees now (api/cameras/ID/motion's mask: red where motion
 * counts, amber where a change was filtered out as noise, speckle or too small) and the zones: the
 * camera's configured ones to start with, and those drawn here (click to add points, close the polygon
 * on its first point or with Finish). The YAML for the camera's `motion:` key is written below, to copy
 * into the config file (the server's config is never changed from here).
 */
import { snapshotHref } from './api.js';
import { h, icon, ICONS, setText, textButton } from './dom.js';
import { fetchMotion, unpackMask, type MotionNow } from './events-api.js';
import { cameraHref } from './router.js';

type Point = [number, number];
interface Zone {
  name: string;
  type: 'include' | 'exclude';
  points: Point[];
}

const PICTURE_MS = 1000;
const MOTION_MS = 400;
/** A click this close (in CSS pixels) to the first point closes the polygon. */
const CLOSE_PX = 12;

export class ZoneEditorView {
  readonly element: HTMLElement;
  private readonly picture = h('img', { class: 'zone-picture', alt: 'Live picture' });
  private readonly canvas = h('canvas', {
    class: 'zone-canvas',
    'aria-label': 'Zones and motion; click to add a point',
  });
  private readonly stage = h('div', { class: 'zone-stage' }, this.picture, this.canvas);
  private readonly status = h('p', { class: 'zone-status', role: 'status' });
  private readonly nameInput = h('input', {
    class: 'zone-name',
    type: 'text',
    value: 'zone1',
    'aria-label': 'Zone name',
  });
  private readonly typeSelect = h(
    'select',
    { class: 'zone-type', 'aria-label': 'Zone type' },
    h('option', { value: 'include' }, 'include'),
    h('option', { value: 'exclude' }, 'exclude'),
  );
  private readonly finishButton: HTMLButtonElement;
  private readonly undoButton: HTMLButtonElement;
  private readonly zoneList = h('ul', { class: 'zone-list' });
  private readonly yaml = h('textarea', { class: 'zone-yaml', readonly: true, rows: 8, spellcheck: false });
  private readonly copyButton: HTMLButtonElement;
  private zones: Zone[] = [];
  private drawing: Point[] = [];
  private motion: MotionNow | undefined;
  private mask: Uint8Array | undefined;
  private loadedZones = false;
  private pictureTimer = 0;
  private motionTimer = 0;
  private closed = false;
  private readonly abort = new AbortController();

  constructor(private readonly id: string) {
    this.finishButton = textButton('Finish zone', () => this.finish());
    this.undoButton = textButton('Undo point', () => {
      this.drawing.pop();
      this.render();
    });
    this.copyButton = textButton('Copy YAML', () => void this.copy());
    const back = h(
      'a',
      { class: 'button back', href: cameraHref(id), title: 'Back to the camera' },
      icon(ICONS.back),
      h('span', { class: 'label' }, 'Camera'),
    );
    this.element = h(
      'div',
      { class: 'view zone-view' },
      h('header', { class: 'toolbar' }, back, h('h1', { class: 'camera-title' }, `Motion zones · ${id}`)),
      h(
        'main',
        { class: 'zone-main' },
        this.stage,
        h(
          'div',
          { class: 'zone-side' },
          this.status,
          h('div', { class: 'zone-new' }, this.nameInput, this.typeSelect, this.undoButton, this.finishButton),
          h(
            'p',
            { class: 'zone-help' },
            'Click on the picture to add points; click the first point (or Finish) to close.',
          ),
          this.zoneList,
          h('label', { class: 'zone-yaml-label' }, 'The camera’s motion config:', this.yaml),
          this.copyButton,
        ),
      ),
    );
    this.canvas.addEventListener('pointerdown', (e) => this.onPoint(e));
    this.picture.addEventListener('load', () => this.draw());
    new ResizeObserver(() => this.draw()).observe(this.stage);
    document.title = `Motion zones · ${id} · camrelay`;
    this.refreshPicture();
    void this.pollMotion();
    this.render();
  }

  destroy(): void {
    this.closed = true;
    this.abort.abort();
    clearTimeout(this.pictureTimer);
    clearTimeout(this.motionTimer);
    this.element.remove();
  }

  /** The next picture is loaded aside and swapped in: no blank between two. */
  private refreshPicture(): void {
    if (this.closed) return;
    const next = new Image();
    const url = `${snapshotHref(this.id)}${snapshotHref(this.id).includes('?') ? '&' : '?'}t=${Date.now()}`;
    next.onload = () => {
      if (this.closed) return;
      this.picture.src = next.src;
      this.pictureTimer = window.setTimeout(() => this.refreshPicture(), PICTURE_MS);
    };
    next.onerror = () => {
      this.pictureTimer = window.setTimeout(() => this.refreshPicture(), PICTURE_MS * 3);
    };
    next.src = url;
  }

  private async pollMotion(): Promise<void> {
    if (this.closed) return;
    const now = await fetchMotion(this.id, true, this.abort.signal);
    if (this.closed) return;
    this.motion = now;
    this.mask = now?.mask && now.width && now.height ? unpackMask(now.mask, now.width * now.height) : undefined;
    if (now && !this.loadedZones) {
      this.loadedZones = true;
      this.zones = (now.zones ?? []).map((z) => ({
        name: z.name,
        type: z.type,
        points: z.points.map(([x, y]) => [x, y]),
      }));
      this.nameInput.value = `zone${this.zones.length + 1}`;
      this.render();
    }
    this.renderStatus();
    this.draw();
    this.motionTimer = window.setTimeout(() => void this.pollMotion(), now?.enabled ? MOTION_MS : MOTION_MS * 5);
  }

  private onPoint(event: PointerEvent): void {
    const box = this.canvas.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return;
    const x = (event.clientX - box.left) / box.width;
    const y = (event.clientY - box.top) / box.height;
    const first = this.drawing[0];
    if (
      first &&
      this.drawing.length >= 3 &&
      Math.hypot((first[0] - x) * box.width, (first[1] - y) * box.height) <= CLOSE_PX
    ) {
      this.finish();
      return;
    }
    this.drawing.push([clamp01(x), clamp01(y)]);
    this.render();
  }

  private finish(): void {
    if (this.drawing.length < 3) {
      setText(this.status, 'A zone needs at least 3 points.');
      return;
    }
    let name = this.nameInput.value.trim().replace(/[^A-Za-z0-9_. -]/g, '') || `zone${this.zones.length + 1}`;
    while (this.zones.some((z) => z.name === name)) name = `${name}-2`;
    this.zones.push({ name, type: this.typeSelect.value === 'exclude' ? 'exclude' : 'include', points: this.drawing });
    this.drawing = [];
    this.nameInput.value = `zone${this.zones.length + 1}`;
    this.render();
  }

  private render(): void {
    this.finishButton.disabled = this.drawing.length < 3;
    this.undoButton.disabled = this.drawing.length === 0;
    this.zoneList.replaceChildren(
      ...this.zones.map((zone, i) => {
        const remove = textButton('Delete', () => {
          this.zones.splice(i, 1);
          this.render();
        });
        remove.setAttribute('aria-label', `Delete zone ${zone.name}`);
        return h(
          'li',
          { class: 'zone-item', 'data-type': zone.type },
          h('span', { class: 'zone-chip' }, zone.name),
          ` ${zone.type}, ${zone.points.length} points `,
          remove,
        );
      }),
    );
    this.yaml.value = zonesYaml(this.zones);
    this.draw();
  }

  private renderStatus(): void {
    const m = this.motion;
    let text: string;
    if (!m) text = 'The detector could not be asked.';
    else if (!m.enabled) text = 'Motion detection is off for this camera: the YAML below turns it on.';
    else if (m.at === null || m.at === undefined) text = 'Waiting for the detector’s first picture…';
    else if (m.calibrating) text = 'The picture changed as a whole (a light, exposure): the detector is settling.';
    else
      text =
        `${m.motion ? 'Motion now' : 'No motion'} · ${((m.score ?? 0) * 100).toFixed(2)} % of the picture` +
        (m.touched?.length ? ` · zones ${m.touched.join(', ')}` : '');
    setText(this.status, text);
    this.status.dataset.motion = String(!!m?.motion);
  }

  private draw(): void {
    const w = this.picture.clientWidth;
    const hgt = this.picture.clientHeight;
    if (w === 0 || hgt === 0) return;
    const ratio = window.devicePixelRatio || 1;
    if (this.canvas.width !== Math.round(w * ratio) || this.canvas.height !== Math.round(hgt * ratio)) {
      this.canvas.width = Math.round(w * ratio);
      this.canvas.height = Math.round(hgt * ratio);
    }
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, hgt);
    const m = this.motion;
    if (this.mask && m?.width && m.height) {
      const cw = w / m.width;
      const ch = hgt / m.height;
      for (let i = 0; i < this.mask.length; i++) {
        const v = this.mask[i];
        if (!v) continue;
        ctx.fillStyle = v === 2 ? 'rgba(239, 68, 68, 0.55)' : 'rgba(245, 158, 11, 0.35)';
        const x = i % m.width;
        const y = (i - x) / m.width;
        ctx.fillRect(x * cw, y * ch, Math.ceil(cw), Math.ceil(ch));
      }
    }
    for (const zone of this.zones) {
      polygon(ctx, zone.points, w, hgt, true);
      ctx.fillStyle = zone.type === 'include' ? 'rgba(34, 197, 94, 0.18)' : 'rgba(100, 116, 139, 0.45)';
      ctx.fill();
      ctx.strokeStyle = zone.type === 'include' ? '#16a34a' : '#475569';
      ctx.lineWidth = 2;
      ctx.stroke();
      const [x, y] = zone.points[0]!;
      ctx.fillStyle = '#fff';
      ctx.font = '12px system-ui, sans-serif';
      ctx.fillText(zone.name, x * w + 4, y * hgt + 14);
    }
    if (this.drawing.length > 0) {
      polygon(ctx, this.drawing, w, hgt, false);
      ctx.strokeStyle = '#2563eb';
      ctx.lineWidth = 2;
      ctx.stroke();
      for (const [x, y] of this.drawing) {
        ctx.beginPath();
        ctx.arc(x * w, y * hgt, 4, 0, Math.PI * 2);
        ctx.fillStyle = '#2563eb';
        ctx.fill();
      }
    }
  }

  private async copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.yaml.value);
      setText(this.copyButton, 'Copied');
    } catch {
      // No clipboard (an insecure origin): selected for the user to copy.
      this.yaml.select();
      setText(this.copyButton, 'Selected: copy it');
    }
    window.setTimeout(() => setText(this.copyButton, 'Copy YAML'), 2000);
  }
}

function polygon(ctx: CanvasRenderingContext2D, points: Point[], w: number, hgt: number, close: boolean): void {
  ctx.beginPath();
  points.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x * w, y * hgt) : ctx.lineTo(x * w, y * hgt)));
  if (close) ctx.closePath();
}

function clamp01(v: number): number {
  return Math.max(0, Math.min(1, v));
}

const round = (v: number): number => Math.round(v * 1000) / 1000;

/** The camera's `motion:` key with these zones, as it goes under the camera in the config file. */
export function zonesYaml(zones: readonly Zone[]): string {
  if (zones.length === 0) return 'motion: true\n';
  const lines = ['motion:', '  zones:'];
  for (const z of zones) {
    const points = z.points.map(([x, y]) => `[${round(x)}, ${round(y)}]`).join(', ');
    lines.push(`    - { name: ${JSON.stringify(z.name)}, type: ${z.type}, points: [${points}] }`);
  }
  return `${lines.join('\n')}\n`;
}
