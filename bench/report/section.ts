/**
 * What bench/run.ts hands every section and what each section returns: the one definition the
 * sections, the runner and the report share. Types only.
 */
import type { ChartPanel } from './chart.js';
import type { Target } from './stats.js';

export interface SectionOptions {
  /** A short run for CI: fewer and shorter runs, same code paths. */
  readonly quick: boolean;
  readonly log: (line: string) => void;
}

/** What every section returns: its markdown and its figures (name → value), which the report lists. */
export interface SectionResult {
  readonly markdown: string;
  readonly figures: Record<string, number | string>;
}

/** A figure held against a target, for the summary. */
export interface TargetCheck {
  readonly what: string;
  /** The figure as it is judged (a median, or an exact count). */
  readonly value: number;
  /** The figure as the report shows it, with its spread. */
  readonly shown: string;
  readonly target: Target;
  readonly targetShown: string;
}

/** A section of ours: its figures, plus what the summary and the chart show of it. */
export interface MeasuredSection extends SectionResult {
  readonly checks: readonly TargetCheck[];
  readonly panels: readonly ChartPanel[];
  /** Problems that make the run fail: a wrong sum, a count off its structural target. */
  readonly failures: readonly string[];
}

export function isMeasured(result: SectionResult): result is MeasuredSection {
  return 'checks' in result && 'panels' in result;
}
