import { describe, expect, it } from 'vitest';
import { classifyOutputLine, emfValue, lineSplitter } from '../../../local/lambda-runtime/function-output.js';

const EMF = {
  _aws: {
    Timestamp: 1,
    CloudWatchMetrics: [
      {
        Namespace: 'TreasuryStream',
        Dimensions: [['service']],
        Metrics: [{ Name: 'RecordsApplied', Unit: 'Count' }, { Name: 'Latency' }],
      },
    ],
  },
  service: 'aggregator',
  RecordsApplied: 12,
  Latency: [3, 4],
};

describe('classifyOutputLine', () => {
  it('tells EMF documents, JSON log records and platform text apart', () => {
    expect(classifyOutputLine(JSON.stringify(EMF))).toEqual({ kind: 'metrics', document: EMF });
    expect(classifyOutputLine('{"level":"INFO","message":"batch committed"}')).toEqual({
      kind: 'log',
      record: { level: 'INFO', message: 'batch committed' },
    });
    expect(classifyOutputLine('START RequestId: 1 Version: $LATEST')).toEqual({
      kind: 'platform',
      text: 'START RequestId: 1 Version: $LATEST',
    });
  });

  it('keeps a line that only looks like JSON, and a JSON array, as platform text', () => {
    expect(classifyOutputLine('{not json').kind).toBe('platform');
    expect(classifyOutputLine('[1,2]').kind).toBe('platform');
  });
});

describe('emfValue', () => {
  it('reads a declared metric, sums a list of values, and answers undefined for an undeclared one', () => {
    expect(emfValue(EMF, 'RecordsApplied')).toBe(12);
    expect(emfValue(EMF, 'Latency')).toBe(7);
    expect(emfValue(EMF, 'service')).toBeUndefined();
    expect(emfValue(EMF, 'RecordsRejected')).toBeUndefined();
  });
});

describe('lineSplitter', () => {
  it('joins lines split across chunks, drops empty lines and carriage returns, holds a partial line', () => {
    const lines: string[] = [];
    const push = lineSplitter((line) => lines.push(line));

    push(Buffer.from('first\r\nsec'));
    push(Buffer.from('ond\n\nthi'));

    expect(lines).toEqual(['first', 'second']);
    push(Buffer.from('rd\n'));
    expect(lines).toEqual(['first', 'second', 'third']);
  });
});
