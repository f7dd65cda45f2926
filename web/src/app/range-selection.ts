/**
 * Selecting a range of the recordings to download: the Select toggle (drag over the timeline, or
 * tap its start and its end), "From here" / "To here" at the playhead for keyboards and precision,
 * and the Download link of the selected range as one MP4.
 */
import { h, icon, ICONS, iconButton, setText, textButton } from './dom.js';
import { videoHref } from './recordings.js';
import { formatDuration, normalizeSelection, SECOND, type Span } from './timeline-model.js';

/** What the selection needs from its panel. */
export interface RangeSelectionHost {
  /** The timeline's select mode and the span it shows as selected. */
  readonly track: { selectMode: boolean; setSelection(span: Span | undefined): void };
  /** The playhead while a recording plays, else undefined. */
  playhead(): number | undefined;
  /** A line in the panel's status. */
  say(text: string): void;
}

const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export class RangeSelection {
  readonly element: HTMLElement;
  private readonly selectButton: HTMLButtonElement;
  private readonly fromHere: HTMLButtonElement;
  private readonly toHere: HTMLButtonElement;
  private readonly download: HTMLAnchorElement;
  private selection: Span | undefined;

  constructor(
    private readonly camera: string,
    private readonly host: RangeSelectionHost,
  ) {
    this.selectButton = iconButton('Select', ICONS.select, () => this.toggle());
    this.selectButton.append(h('span', { class: 'label' }, 'Select'));
    this.selectButton.setAttribute('aria-pressed', 'false');
    this.selectButton.title = 'Select a range to download: drag over the timeline, or tap its start and its end';
    this.fromHere = textButton('From here', () => this.mark('start'));
    this.toHere = textButton('To here', () => this.mark('end'));
    this.fromHere.title = 'The selection starts at the playhead';
    this.toHere.title = 'The selection ends at the playhead';
    this.fromHere.hidden = true;
    this.toHere.hidden = true;
    this.download = h(
      'a',
      { class: 'button download-range', hidden: true, title: 'Download the selected range (MP4)' },
      icon(ICONS.download),
      h('span', { class: 'download-label' }, 'Download'),
    );
    this.element = h('div', { class: 'timeline-select' }, this.selectButton, this.fromHere, this.toHere, this.download);
  }

  /** The timeline selected `span` (undefined: none, or one too short, shown as `partial`). */
  set(span: Span | undefined, partial?: Span): void {
    this.selection = span ?? partial;
    this.download.hidden = !span;
    if (!span) return;
    this.download.href = videoHref(this.camera, span, true);
    this.download.download = `${this.camera}-${stamp(span.start)}-${stamp(span.end).slice(9)}.mp4`;
    this.download.dataset.start = String(span.start);
    this.download.dataset.end = String(span.end);
    const text = `Download ${timeOnly.format(span.start)}–${timeOnly.format(span.end)}`;
    setText(this.download.querySelector('.download-label') ?? this.download, text);
    this.download.title = `${text} (${formatDuration(span.end - span.start)}, MP4)`;
    this.host.say(`Selected ${formatDuration(span.end - span.start)}.`);
  }

  private toggle(): void {
    const track = this.host.track;
    const on = !track.selectMode;
    track.selectMode = on;
    this.selectButton.setAttribute('aria-pressed', String(on));
    this.fromHere.hidden = !on;
    this.toHere.hidden = !on;
    if (on) this.host.say('Drag over the timeline, or tap where the range starts and where it ends.');
    else {
      this.set(undefined);
      track.setSelection(undefined);
      this.host.say('');
    }
  }

  /** Sets one end of the selection at the playhead (or now). */
  private mark(end: 'start' | 'end'): void {
    const t = this.host.playhead() ?? Date.now();
    const other = this.selection ? (end === 'start' ? this.selection.end : this.selection.start) : t;
    const span = normalizeSelection(t, other);
    this.host.track.setSelection(span);
    this.set(span.end - span.start >= SECOND ? span : undefined, span);
  }
}

/** 20250103-140211 in local time. */
function stamp(t: number): string {
  const d = new Date(t);
  const p = (n: number): string => String(n).padStart(2, '0');
  const date = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}`;
  return `${date}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}
