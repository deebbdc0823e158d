/** docs/benchmarks.svg: one panel per group of comparable figures, bars at the median with min–max whiskers. Pure. */
import { formatNumber, type Summary } from './stats.js';

/** A bar of the chart: a median with its min–max whisker. */
export interface ChartBar {
  readonly label: string;
  readonly summary: Summary;
  /** Drawn in another colour: the figure the panel's target is about. */
  readonly emphasis?: boolean;
}

export interface ChartPanel {
  readonly title: string;
  /** Values are divided by this for the axis and labels (1e6 for millions). */
  readonly scale: number;
  readonly unit: string;
  readonly bars: readonly ChartBar[];
  readonly target?: { readonly value: number; readonly label: string };
}

const PANEL_WIDTH = 820;
const LABEL_WIDTH = 300;
const BAR_HEIGHT = 18;
const BAR_GAP = 8;
const PANEL_HEADER = 44;
const PANEL_FOOTER = 26;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A round axis maximum at or above `value`: 1, 2 or 5 times a power of ten. */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

/** The chart: one panel per group of comparable figures, bars at the median with min–max whiskers. */
export function renderChart(panels: readonly ChartPanel[], title: string): string {
  const plotWidth = PANEL_WIDTH - LABEL_WIDTH - 70;
  const parts: string[] = [];
  let y = 40;
  for (const panel of panels) {
    const values = panel.bars.flatMap((bar) => [bar.summary.max]);
    if (panel.target) values.push(panel.target.value);
    const axisMax = niceCeiling(Math.max(...values) / panel.scale);
    const x = (value: number) => LABEL_WIDTH + (value / panel.scale / axisMax) * plotWidth;
    const height = PANEL_HEADER + panel.bars.length * (BAR_HEIGHT + BAR_GAP) + PANEL_FOOTER;
    parts.push(
      `<text x="12" y="${y + 18}" font-size="14" font-weight="bold">${escapeXml(panel.title)}</text>`,
    );
    let barY = y + PANEL_HEADER;
    for (const bar of panel.bars) {
      const { median, min, max } = bar.summary;
      parts.push(
        `<text x="${LABEL_WIDTH - 8}" y="${barY + 13}" font-size="12" text-anchor="end">${escapeXml(bar.label)}</text>`,
        `<rect x="${LABEL_WIDTH}" y="${barY}" width="${(x(median) - LABEL_WIDTH).toFixed(1)}" height="${BAR_HEIGHT}" fill="${bar.emphasis ? '#f28e2b' : '#4e79a7'}"/>`,
        `<line x1="${x(min).toFixed(1)}" x2="${x(max).toFixed(1)}" y1="${barY + BAR_HEIGHT / 2}" y2="${barY + BAR_HEIGHT / 2}" stroke="#222" stroke-width="1.5"/>`,
        `<line x1="${x(min).toFixed(1)}" x2="${x(min).toFixed(1)}" y1="${barY + 4}" y2="${barY + BAR_HEIGHT - 4}" stroke="#222"/>`,
        `<line x1="${x(max).toFixed(1)}" x2="${x(max).toFixed(1)}" y1="${barY + 4}" y2="${barY + BAR_HEIGHT - 4}" stroke="#222"/>`,
        `<text x="${(x(max) + 6).toFixed(1)}" y="${barY + 13}" font-size="11">${escapeXml(formatAxis(median / panel.scale))}</text>`,
      );
      barY += BAR_HEIGHT + BAR_GAP;
    }
    const axisY = barY + 2;
    parts.push(
      `<line x1="${LABEL_WIDTH}" x2="${LABEL_WIDTH + plotWidth}" y1="${axisY}" y2="${axisY}" stroke="#888"/>`,
    );
    for (let tick = 0; tick <= 4; tick++) {
      const value = (axisMax * tick) / 4;
      const tickX = LABEL_WIDTH + (plotWidth * tick) / 4;
      parts.push(
        `<text x="${tickX.toFixed(1)}" y="${axisY + 14}" font-size="10" text-anchor="middle" fill="#555">${escapeXml(formatTick(value))}${tick === 4 ? ` ${escapeXml(panel.unit)}` : ''}</text>`,
      );
    }
    if (panel.target) {
      const targetX = x(panel.target.value).toFixed(1);
      parts.push(
        `<line x1="${targetX}" x2="${targetX}" y1="${y + PANEL_HEADER - 6}" y2="${axisY}" stroke="#e15759" stroke-width="2" stroke-dasharray="5,3"/>`,
        `<text x="${(Number(targetX) + 4).toFixed(1)}" y="${y + PANEL_HEADER - 9}" font-size="11" fill="#e15759">${escapeXml(panel.target.label)}</text>`,
      );
    }
    y += height + 10;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${PANEL_WIDTH}" height="${y}" viewBox="0 0 ${PANEL_WIDTH} ${y}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="12" y="24" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

function formatTick(value: number): string {
  return Number(value.toPrecision(3)).toLocaleString('en-US');
}

function formatAxis(value: number): string {
  if (value === 0) return '0';
  if (Math.abs(value) >= 100) return formatNumber(value);
  if (Math.abs(value) >= 10) return formatNumber(value, 1);
  return formatNumber(value, 2);
}

/**
 * Chart panels for a section that only reports figures (no checks or panels of its own): one of its rates
 * (numeric figures named "…PerSecond") and one of its latencies (named "…p50Ms", "…p99Ms"), as
 * single bars. Its other figures are in the summary only.
 */
export function panelsOfFigures(
  heading: string,
  figures: Readonly<Record<string, number | string>>,
): ChartPanel[] {
  const numeric = Object.entries(figures).filter(
    (entry): entry is [string, number] => typeof entry[1] === 'number' && Number.isFinite(entry[1]),
  );
  const single = (value: number) => ({
    runs: 1,
    median: value,
    min: value,
    max: value,
    q1: value,
    q3: value,
  });
  const panels: ChartPanel[] = [];
  const rates = numeric.filter(([name]) => /persecond$/i.test(name));
  if (rates.length > 0) {
    const largest = Math.max(...rates.map(([, value]) => Math.abs(value)));
    const scale = largest >= 1e6 ? 1e6 : largest >= 1e3 ? 1e3 : 1;
    panels.push({
      title: `${heading}: rates, as the section reports them`,
      scale,
      unit: scale === 1e6 ? 'M/s' : scale === 1e3 ? 'k/s' : '/s',
      bars: rates.map(([label, value]) => ({ label, summary: single(value) })),
    });
  }
  const latencies = numeric.filter(([name]) => /p\d+ms$/i.test(name));
  if (latencies.length > 0) {
    panels.push({
      title: `${heading}: latencies, as the section reports them`,
      scale: 1,
      unit: 'ms',
      bars: latencies.map(([label, value]) => ({ label, summary: single(value) })),
    });
  }
  return panels;
}
