/**
 * The timeline itself: recorded ranges, gaps (with their reason), the "now" marker, the playhead
 * and a selection over one day (or the zoomed part of it), with hour ticks. A tap or click plays
 * from there; dragging scrubs with a preview picture, mouse or touch; shift-drag, or a drag in
 * select mode, selects a range. As a slider it takes the arrow keys.
 */
import { h, setText } from './dom.js';
import { formatDuration } from './timeline-model.js';
import {
  clamp,
  displayGaps,
  gapReasonText,
  MINUTE,
  mergeSpans,
  normalizeSelection,
  SECOND,
  spanAt,
  thumbnailTime,
  tickStep,
  ticks,
  timeToX,
  toPercent,
  xToTime,
  type Gap,
  type Span,
  type View,
} from './timeline-model.js';
import type { Thumbnails } from './thumbnails.js';

export interface TrackHost {
  /** Play from `t` (a tap, the end of a drag, a key). */
  seek(t: number): void;
  /** The selection changed (a drag in select mode, or shift-drag). */
  select(span: Span | undefined): void;
}

/** A pointer that moved less than this is a tap. */
const TAP_PX = 6;

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const tickClock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

export class TimelineTrack {
  readonly element: HTMLDivElement;
  private readonly bar = h('div', { class: 'timeline-bar' });
  private readonly layer = h('div', { class: 'timeline-layer' });
  private readonly future = h('div', { class: 'timeline-future', hidden: true });
  private readonly selection = h('div', { class: 'timeline-selection', hidden: true });
  private readonly anchorMark = h('div', { class: 'timeline-anchor', hidden: true });
  private readonly nowMark = h('div', { class: 'timeline-now', hidden: true, title: 'Now' });
  private readonly playhead = h('div', { class: 'timeline-playhead', hidden: true });
  private readonly hoverLine = h('div', { class: 'timeline-hover', hidden: true });
  private readonly tickRow = h('div', { class: 'timeline-ticks', 'aria-hidden': 'true' });
  private readonly previewImage = h('img', { class: 'timeline-preview-image', alt: '', hidden: true });
  private readonly previewTime = h('span', { class: 'timeline-preview-time' });
  private readonly previewNote = h('span', { class: 'timeline-preview-note' });
  private readonly preview = h(
    'div',
    { class: 'timeline-preview', hidden: true, 'aria-hidden': 'true' },
    this.previewImage,
    this.previewTime,
    this.previewNote,
  );

  private day: Span = { start: 0, end: 1 };
  private view: Span = { start: 0, end: 1 };
  private ranges: Span[] = [];
  private gaps: Gap[] = [];
  /** Motion events: marks above the ranges (an open one runs to now). */
  private events: { id: number; start: number; end: number | null; zones: string[] }[] = [];
  private now = 0;
  private head: number | undefined;
  private selected: Span | undefined;
  /** Select mode: a first tap sets this end, a second the other. */
  private anchor: number | undefined;
  private drag:
    { id: number; x0: number; moved: boolean; mode: 'scrub' | 'select'; from: number; fixed?: number } | undefined;
  /** Select mode (a toggle beside the timeline): drags and taps select instead of playing. */
  selectMode = false;

  constructor(
    private readonly host: TrackHost,
    private readonly thumbnails: Thumbnails,
  ) {
    this.bar.append(
      this.layer,
      this.future,
      this.selection,
      this.anchorMark,
      this.nowMark,
      this.playhead,
      this.hoverLine,
    );
    this.element = h(
      'div',
      {
        class: 'timeline-track',
        role: 'slider',
        tabindex: 0,
        'aria-label': 'Recordings timeline: arrow keys move the playhead, Enter plays',
        'aria-orientation': 'horizontal',
      },
      this.bar,
      this.tickRow,
      this.preview,
    );
    this.bar.addEventListener('pointerdown', (e) => this.onDown(e));
    this.bar.addEventListener('pointermove', (e) => this.onMove(e));
    this.bar.addEventListener('pointerup', (e) => this.onUp(e));
    this.bar.addEventListener('pointercancel', () => this.endDrag());
    this.bar.addEventListener('pointerleave', (e) => {
      if (!this.drag && e.pointerType === 'mouse') this.hidePreview();
    });
    this.element.addEventListener('keydown', (e) => this.onKey(e));
    new ResizeObserver(() => this.render()).observe(this.bar);
  }

  /** What to draw: the day, the part of it on screen, and what is recorded in it. */
  setData(
    day: Span,
    view: Span,
    ranges: Span[],
    gaps: Gap[],
    now: number,
    events: { id: number; start: number; end: number | null; zones: string[] }[] = [],
  ): void {
    this.events = events;
    this.day = day;
    this.view = view;
    this.ranges = mergeSpans(ranges);
    this.gaps = [...gaps].sort((a, b) => a.start - b.start);
    this.now = now;
    this.render();
  }

  setPlayhead(t: number | undefined): void {
    this.head = t;
    this.renderPlayhead();
  }

  setSelection(span: Span | undefined): void {
    this.selected = span;
    this.anchor = undefined;
    this.renderSelection();
  }

  clearAnchor(): void {
    this.anchor = undefined;
    this.renderSelection();
  }

  private get width(): number {
    return this.bar.clientWidth;
  }

  private get pixels(): View {
    return { ...this.view, width: this.width };
  }

  private render(): void {
    const view = this.pixels;
    const msPerPixel = (view.end - view.start) / Math.max(1, view.width);
    // At most about one element per pixel, however many ranges the day has.
    const ranges = mergeSpans(this.ranges, msPerPixel, view);
    const gaps = displayGaps(this.gaps, msPerPixel, view);
    const parts: HTMLElement[] = [];
    for (const range of ranges) parts.push(this.block('timeline-range', range));
    for (const gap of gaps) {
      const text = gapTitle(gap);
      const part = this.block('timeline-gap', gap);
      part.title = text;
      part.dataset.reason = gap.reason;
      parts.push(part);
    }
    for (const event of this.events) {
      const end = event.end ?? this.now;
      if (end < view.start || event.start > view.end) continue;
      const mark = this.block('timeline-event', { start: event.start, end: Math.max(end, event.start) });
      mark.title = `Motion ${clock.format(event.start)}${event.zones.length ? ` · ${event.zones.join(', ')}` : ''}`;
      mark.dataset.event = String(event.id);
      parts.push(mark);
    }
    this.layer.replaceChildren(...parts);
    // The span drawn, for whoever needs to know the time under a pixel (the tests).
    this.bar.dataset.start = String(view.start);
    this.bar.dataset.end = String(view.end);

    const nowShown = this.now >= view.start && this.now < view.end;
    this.nowMark.hidden = !nowShown;
    this.future.hidden = this.now >= view.end;
    if (nowShown) this.nowMark.style.left = `${toPercent(this.now, view)}%`;
    if (!this.future.hidden) {
      const left = toPercent(Math.max(this.now, view.start), view);
      this.future.style.left = `${left}%`;
      this.future.style.width = `${100 - left}%`;
    }

    const step = tickStep(view, view.width < 500 ? 56 : 72);
    this.tickRow.replaceChildren(
      // A label at the very right end would crowd the one before it.
      ...ticks(view, step)
        .filter((t) => toPercent(t, view) <= 97 || t === this.day.end)
        .map((t) => {
          const tick = h('span', { class: 'timeline-tick' }, tickClock.format(t));
          const left = toPercent(t, view);
          tick.style.left = `${left}%`;
          // Labels at the ends are kept inside the timeline.
          if (left < 4) tick.style.transform = 'none';
          else if (left > 96) tick.style.transform = 'translateX(-100%)';
          return tick;
        }),
    );
    this.element.setAttribute('aria-valuemin', String(this.day.start));
    this.element.setAttribute('aria-valuemax', String(this.day.end));
    this.renderPlayhead();
    this.renderSelection();
  }

  private block(cls: string, span: Span): HTMLDivElement {
    const part = h('div', { class: cls });
    const left = toPercent(span.start, this.view);
    part.style.left = `${left}%`;
    part.style.width = `${Math.max(0, toPercent(span.end, this.view) - left)}%`;
    return part;
  }

  private renderPlayhead(): void {
    const t = this.head;
    const shown = t !== undefined && t >= this.view.start && t <= this.view.end;
    this.playhead.hidden = !shown;
    if (shown) this.playhead.style.left = `${toPercent(t, this.view)}%`;
    const value = t ?? this.now;
    this.element.setAttribute('aria-valuenow', String(value));
    this.element.setAttribute('aria-valuetext', t === undefined ? 'Live' : clock.format(value));
  }

  private renderSelection(): void {
    const span = this.selected;
    const shown = !!span && span.end > this.view.start && span.start < this.view.end;
    this.selection.hidden = !shown;
    if (span && shown) {
      const left = toPercent(span.start, this.view);
      this.selection.style.left = `${left}%`;
      this.selection.style.width = `${toPercent(span.end, this.view) - left}%`;
      this.selection.title = `Selected ${clock.format(span.start)}–${clock.format(span.end)}`;
    }
    const anchor = this.anchor;
    this.anchorMark.hidden = anchor === undefined || anchor < this.view.start || anchor > this.view.end;
    if (anchor !== undefined) this.anchorMark.style.left = `${toPercent(anchor, this.view)}%`;
  }

  private timeAt(event: PointerEvent): number {
    const box = this.bar.getBoundingClientRect();
    return xToTime(event.clientX - box.left, { ...this.view, width: box.width });
  }

  private onDown(event: PointerEvent): void {
    if (!event.isPrimary || event.button !== 0) return;
    event.preventDefault();
    this.element.focus({ preventScroll: true });
    this.bar.setPointerCapture(event.pointerId);
    const t = this.timeAt(event);
    const mode = this.selectMode || event.shiftKey ? 'select' : 'scrub';
    this.drag = { id: event.pointerId, x0: event.clientX, moved: false, mode, from: t };
    if (mode === 'select' && this.selected) {
      // Grabbing an end of the selection moves that end.
      const box = this.bar.getBoundingClientRect();
      const view = { ...this.view, width: box.width };
      const x = event.clientX - box.left;
      const grab = event.pointerType === 'mouse' ? 8 : 20;
      if (Math.abs(timeToX(this.selected.start, view) - x) <= grab) this.drag.fixed = this.selected.end;
      else if (Math.abs(timeToX(this.selected.end, view) - x) <= grab) this.drag.fixed = this.selected.start;
    }
    this.showPreview(t);
  }

  private onMove(event: PointerEvent): void {
    const t = this.timeAt(event);
    const drag = this.drag;
    if (drag && drag.id === event.pointerId) {
      if (Math.abs(event.clientX - drag.x0) > TAP_PX) drag.moved = true;
      if (drag.mode === 'scrub') {
        if (drag.moved) this.hoverAt(t);
      } else if (drag.moved || drag.fixed !== undefined) {
        this.selected = normalizeSelection(drag.fixed ?? drag.from, t);
        this.anchor = undefined;
        this.renderSelection();
      }
      this.showPreview(t);
      return;
    }
    if (event.pointerType === 'mouse') {
      this.hoverAt(t);
      this.showPreview(t);
    }
  }

  private onUp(event: PointerEvent): void {
    const drag = this.drag;
    if (!drag || drag.id !== event.pointerId) return;
    const t = this.timeAt(event);
    this.endDrag();
    if (drag.mode === 'scrub') {
      this.host.seek(t);
      return;
    }
    if (drag.moved || drag.fixed !== undefined) {
      this.selected = normalizeSelection(drag.fixed ?? drag.from, t);
      this.finishSelection();
    } else if (this.anchor === undefined) {
      // A tap in select mode: one end now, the other with the next tap.
      this.anchor = t;
      this.renderSelection();
    } else {
      this.selected = normalizeSelection(this.anchor, t);
      this.finishSelection();
    }
  }

  private finishSelection(): void {
    const span = this.selected;
    this.anchor = undefined;
    if (span && span.end - span.start < SECOND) this.selected = undefined;
    this.renderSelection();
    this.host.select(this.selected);
  }

  private endDrag(): void {
    if (this.drag && this.bar.hasPointerCapture(this.drag.id)) this.bar.releasePointerCapture(this.drag.id);
    this.drag = undefined;
    this.hidePreview();
  }

  private onKey(event: KeyboardEvent): void {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const from = this.head ?? this.now;
    const small = event.shiftKey ? MINUTE : 10 * SECOND;
    let t: number | undefined;
    if (event.key === 'ArrowLeft') t = from - small;
    else if (event.key === 'ArrowRight') t = from + small;
    else if (event.key === 'PageUp') t = from - 10 * MINUTE;
    else if (event.key === 'PageDown') t = from + 10 * MINUTE;
    else if (event.key === 'Home') t = this.day.start;
    else if (event.key === 'End') t = Math.min(this.day.end, this.now) - 10 * SECOND;
    else if (event.key === 'Enter' || event.key === ' ') t = from;
    if (t === undefined) return;
    event.preventDefault();
    event.stopPropagation();
    t = clamp(t, this.day.start, Math.min(this.day.end, this.now) - 1);
    this.head = t;
    this.renderPlayhead();
    this.host.seek(t);
  }

  private hoverAt(t: number): void {
    this.hoverLine.hidden = false;
    this.hoverLine.style.left = `${toPercent(t, this.view)}%`;
  }

  private showPreview(t: number): void {
    const view = this.pixels;
    const x = timeToX(t, view);
    this.preview.hidden = false;
    const previewWidth = this.preview.offsetWidth || 160;
    this.preview.style.left = `${clamp(x - previewWidth / 2, 0, Math.max(0, view.width - previewWidth))}px`;
    setText(this.previewTime, clock.format(t));
    const gap = spanAt(t, this.gaps);
    const recorded = spanAt(t, this.ranges);
    if (t > this.now) setText(this.previewNote, '');
    else if (gap) setText(this.previewNote, gapTitle(gap));
    else setText(this.previewNote, recorded ? '' : 'Not recorded');
    this.preview.dataset.kind = recorded ? 'recorded' : 'none';
    if (!recorded) {
      this.thumbnails.cancel();
      this.previewImage.hidden = true;
      return;
    }
    const msPerPixel = (view.end - view.start) / Math.max(1, view.width);
    // Not before the range's start: the keyframe at or before a time in a hole would be misleading.
    const key = Math.max(recorded.start, thumbnailTime(t, msPerPixel));
    this.thumbnails.request(key, (url) => {
      if (this.preview.hidden) return;
      this.previewImage.hidden = !url;
      if (url && this.previewImage.src !== url) this.previewImage.src = url;
    });
  }

  private hidePreview(): void {
    this.preview.hidden = true;
    this.hoverLine.hidden = true;
    this.thumbnails.cancel();
  }
}

/** "No recording 14:02–14:10 (8 min): camera offline — ffmpeg exited". */
export function gapTitle(gap: Gap): string {
  const detail = gap.detail ? ` — ${gap.detail}` : '';
  const span = `${tickClock.format(gap.start)}–${tickClock.format(gap.end)}`;
  return `No recording ${span} (${formatDuration(gap.end - gap.start)}): ${gapReasonText(gap.reason)}${detail}`;
}
