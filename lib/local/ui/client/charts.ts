/**
 * The UI's charts, on uPlot: timelines (x: batch time in local time, as pprint prints it) and
 * histograms (x: the figure, y: batches). Each chart sits in a <figure> with a caption; its plot is
 * an image whose text alternative says what it shows and its latest figures. A chart takes the
 * width of its container and follows it (narrow windows included).
 */
import uPlot from 'uplot';
import { h } from './dom';
import { formatClock, formatCount, formatTime, histogram } from './series';

/** Colours with at least 4.5:1 contrast on white, told apart by dash too. */
const PALETTE = ['#1b5fa8', '#b4420b', '#2b7a2f', '#7a3b9e', '#8a6d00', '#0d7373'];
const DASHES: number[][] = [[], [6, 3], [2, 3], [8, 3, 2, 3]];

/** A series of a timeline. */
export interface SeriesSpec {
  label: string;
}

/** What a chart shows and how its numbers read. */
export interface ChartSpec {
  /** Stable id (test hooks, labels). */
  id: string;
  title: string;
  /** The y axis' label, with its unit: `records/s`, `ms`, `keys`. */
  yLabel: string;
  /** A value as the legend and the text alternative print it (with its unit). */
  format: (v: number) => string;
  /** The x axis' label (timelines). @default 'Batch time (local time)' */
  xLabel?: string;
  /** @default 200 */
  height?: number;
}

/** A chart in a figure; the plot is made when the figure is in the page and has a width. */
abstract class Chart {
  readonly figure: HTMLElement;
  protected readonly plotBox: HTMLDivElement;
  protected plot: uPlot | undefined;
  private data: uPlot.AlignedData | undefined;
  private readonly resize: ResizeObserver;

  constructor(protected readonly spec: ChartSpec) {
    const captionId = `${spec.id}-caption`;
    this.plotBox = h('div', { class: 'plot', role: 'img', 'aria-label': `${spec.title}: no data yet` });
    this.figure = h(
      'figure',
      { class: 'chart', id: spec.id, 'aria-labelledby': captionId, 'data-points': 0 },
      h('figcaption', { id: captionId }, spec.title),
      this.plotBox,
    );
    this.resize = new ResizeObserver(() => this.fit());
    this.resize.observe(this.plotBox);
  }

  /** Removes the chart. */
  destroy(): void {
    this.resize.disconnect();
    this.plot?.destroy();
    this.figure.remove();
  }

  protected abstract options(width: number): uPlot.Options;

  protected show(data: uPlot.AlignedData, points: number, summary: string): void {
    this.data = data;
    this.figure.dataset.points = String(points);
    this.plotBox.setAttribute('aria-label', `${this.spec.title}: ${summary}`);
    if (this.plot) this.plot.setData(data);
    else this.fit();
  }

  private width(): number {
    return Math.floor(this.plotBox.clientWidth);
  }

  private fit(): void {
    const width = this.width();
    if (width <= 0 || !this.data) return;
    if (!this.plot) this.plot = new uPlot(this.options(width), this.data, this.plotBox);
    else if (this.plot.width !== width) this.plot.setSize({ width, height: this.spec.height ?? 200 });
  }
}

const AXIS_FONT = '12px system-ui, sans-serif';
/** Tick steps of the time axis, ms: whole seconds and up, so that tick labels read HH:MM:SS. */
const TIME_INCREMENTS = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400,
].map((s) => s * 1000);
const LABEL_FONT = 'bold 12px system-ui, sans-serif';

function yAxis(spec: ChartSpec): uPlot.Axis {
  return {
    label: spec.yLabel,
    labelFont: LABEL_FONT,
    font: AXIS_FONT,
    size: 56,
    stroke: '#222',
    grid: { stroke: '#e3e3e3' },
    values: (_u, splits) => splits.map((v) => formatCount(v)),
  };
}

/** A timeline: one or more series over batch time. */
export class TimelineChart extends Chart {
  private series: SeriesSpec[] = [];

  constructor(spec: ChartSpec, series: SeriesSpec[]) {
    super(spec);
    this.series = series;
  }

  /**
   * Shows one series (`xs`, `ys`), or several aligned on their times (each its own [xs, ys]).
   * A new set of series rebuilds the plot.
   */
  setSeries(series: { label: string; xs: number[]; ys: number[] }[]): void {
    const labels = series.map((s) => s.label).join('\u0000');
    if (labels !== this.series.map((s) => s.label).join('\u0000')) {
      this.series = series.map((s) => ({ label: s.label }));
      this.plot?.destroy();
      this.plot = undefined;
    }
    const data: uPlot.AlignedData =
      series.length === 1
        ? [series[0].xs, series[0].ys]
        : series.length === 0
          ? [[]]
          : uPlot.join(series.map((s) => [s.xs, s.ys] as uPlot.AlignedData));
    const points = series.reduce((n, s) => n + s.xs.length, 0);
    const latest = series
      .filter((s) => s.ys.length > 0)
      .map((s) => `${series.length > 1 ? s.label + ' ' : ''}${this.spec.format(s.ys[s.ys.length - 1])}`);
    const last = Math.max(-Infinity, ...series.map((s) => s.xs[s.xs.length - 1] ?? -Infinity));
    this.show(
      data,
      points,
      points === 0 ? 'no data yet' : `${points} points; latest ${latest.join(', ')} at ${formatTime(last)}`,
    );
  }

  protected options(width: number): uPlot.Options {
    const spec = this.spec;
    return {
      width,
      height: spec.height ?? 200,
      ms: 1,
      // Room on the right for the last tick's label.
      padding: [8, 28, 0, 0],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [
        {
          label: spec.xLabel ?? 'Batch time (local time)',
          labelFont: LABEL_FONT,
          font: AXIS_FONT,
          stroke: '#222',
          grid: { stroke: '#e3e3e3' },
          space: 80,
          incrs: TIME_INCREMENTS,
          values: (_u, splits) => splits.map(formatClock),
        },
        yAxis(spec),
      ],
      series: [
        { label: 'Time', value: (_u, v) => (v === null ? '–' : formatTime(v)) },
        ...this.series.map((s, i): uPlot.Series => ({
          label: s.label,
          stroke: PALETTE[i % PALETTE.length],
          dash: DASHES[i % DASHES.length],
          width: 2,
          spanGaps: true,
          points: { show: true, size: 5 },
          value: (_u, v) => (v === null ? '–' : spec.format(v)),
        })),
      ],
    };
  }
}

/** A histogram of values: how many batches fall in each bucket. */
export class HistogramChart extends Chart {
  private bucketWidth = 1;

  /** Shows the distribution of `values`. */
  setValues(values: readonly number[]): void {
    const hist = histogram(values);
    this.bucketWidth = hist.width;
    const peak = hist.counts.indexOf(Math.max(...hist.counts));
    this.show(
      [hist.starts, hist.counts],
      hist.counts.length,
      values.length === 0
        ? 'no data yet'
        : `${values.length} batches in ${hist.counts.length} buckets of ${this.spec.format(hist.width)}; ` +
            `most (${hist.counts[peak]}) from ${this.spec.format(hist.starts[peak])}`,
    );
  }

  protected options(width: number): uPlot.Options {
    const spec = this.spec;
    return {
      width,
      height: spec.height ?? 200,
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: {
          time: false,
          range: (u) => {
            const xs = u.data[0];
            return xs.length ? [xs[0], xs[xs.length - 1] + this.bucketWidth] : [0, 1];
          },
        },
        y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] },
      },
      axes: [
        {
          label: spec.yLabel,
          labelFont: LABEL_FONT,
          font: AXIS_FONT,
          stroke: '#222',
          grid: { show: false },
          space: 60,
          values: (_u, splits) => splits.map((v) => formatCount(v)),
        },
        { ...yAxis(spec), label: 'batches' },
      ],
      series: [
        {
          label: spec.yLabel,
          value: (_u, v) => (v === null ? '–' : `${spec.format(v)} to ${spec.format(v + this.bucketWidth)}`),
        },
        {
          label: 'batches',
          stroke: PALETTE[0],
          fill: 'rgba(27, 95, 168, 0.35)',
          width: 1,
          paths: uPlot.paths.bars!({ size: [1, Infinity], align: 1, gap: 1 }),
          points: { show: false },
          value: (_u, v) => (v === null ? '–' : formatCount(v)),
        },
      ],
    };
  }
}
