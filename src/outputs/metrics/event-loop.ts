/**
 * Event-loop delay under the names Node dashboards know
 * (`nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds`),
 * sampled once a second.
 *
 * Node's monitorEventLoopDelay records the time between two ticks of a timer
 * repeating every `resolution` ms: the resolution itself plus the delay.
 * prom-client reports those values as they are, which reads about right at its
 * default 10 ms (an idle process shows 0.0101 s), but 1.0014 s at one tick a
 * second. Here the resolution is taken off, so the values are the delay alone
 * (about 0.001 s on an idle server), and the timer, native and unreferenced,
 * wakes an idle server once a second rather than 100 times.
 *
 * Like prom-client's, the values cover the time since the previous scrape.
 * A scrape less than a second after the previous one has no new sample and
 * repeats the previous values.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

const RESOLUTION_MS = 1000;

/** The series prom-client's default metrics would fill from its own 10 ms monitor. */
export const EVENT_LOOP_SERIES = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'] as const;

type Series = (typeof EVENT_LOOP_SERIES)[number];

function read(histogram: IntervalHistogram, series: Series): number {
  const resolutionNs = RESOLUTION_MS * 1e6;
  const delay = (ns: number): number => Math.max(0, ns - resolutionNs) / 1e9;
  switch (series) {
    case 'min':
      return delay(histogram.min);
    case 'max':
      return delay(histogram.max);
    case 'mean':
      return delay(histogram.mean);
    case 'stddev':
      return histogram.stddev / 1e9; // a spread: the constant resolution does not change it
    case 'p50':
      return delay(histogram.percentile(50));
    case 'p90':
      return delay(histogram.percentile(90));
    case 'p99':
      return delay(histogram.percentile(99));
  }
}

/**
 * Registers the seven gauges in `register` (under `prefix`); the caller removes
 * prom-client's first. Returns the function that stops the monitor.
 */
export function addEventLoopMetrics(register: Registry, prefix: string): () => void {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  const gauges = new Map<Series, Gauge>();
  for (const series of EVENT_LOOP_SERIES) {
    const label =
      series === 'stddev' ? 'standard deviation' : series.startsWith('p') ? `${series.slice(1)}th percentile` : series;
    gauges.set(
      series,
      new Gauge({
        name: `${prefix}nodejs_eventloop_lag_${series}_seconds`,
        help: `Event loop delay since the previous scrape, ${label} (sampled once a second)`,
        registers: [register],
        // The first gauge reads the histogram for all seven, then starts it afresh.
        ...(series === 'min' ? { collect: update } : {}),
      }),
    );
  }
  function update(): void {
    if (histogram.count === 0) return;
    for (const [series, gauge] of gauges) gauge.set(read(histogram, series));
    histogram.reset();
  }
  return () => histogram.disable();
}
