import { describe, expect, it } from 'vitest';
import { aggregateBatch } from '../../../lambda/domain/aggregate.js';
import { decodeDealFast } from '../../../lambda/domain/fast-decode.js';
import { decodeTransaction, type Validation } from '../../../lambda/domain/transaction.js';

const deal = (branchJson: string, amount = '1') =>
  Buffer.from(`{"branch":${branchJson},"currency":"USD","amount":${amount}}`);

/** Both decoders' decision; fails the test when they disagree. */
function decodeBoth(value: Uint8Array): Validation {
  const plain = decodeTransaction(value);
  const fast = decodeDealFast(value);
  expect(fast.ok).toBe(plain.ok);
  if (!fast.ok && !plain.ok) expect(fast.reason).toBe(plain.reason);
  return plain;
}

function reasonOf(validation: Validation): string {
  if (validation.ok) throw new Error(`expected a rejection, got ${JSON.stringify(validation.value)}`);
  return validation.reason;
}

/** Whether PostgreSQL's text can hold `text`: no U+0000, no lone surrogate. */
function storable(text: string): boolean {
  return !text.includes(String.fromCharCode(0)) && !/\p{Cs}/u.test(text);
}

describe('text that reaches the database', () => {
  it('sets aside a Confluent-framed Avro value (magic byte 0x00) with a reason that escapes the NUL', () => {
    // Prepare: magic byte, schema id 1, then Avro bytes.
    const value = Buffer.from([0x00, 0x00, 0x00, 0x00, 0x01, 0x06, 0x53, 0x50, 0x42, 0x00]);

    // Act
    const reason = reasonOf(decodeBoth(value));

    // Assess
    expect(reason).toMatch(/^value is not JSON: /);
    expect(reason).toContain('\\u0000');
    expect(storable(reason)).toBe(true);
  });

  it.each([
    ['U+0000', '"S\\u0000PB"', 'branch contains the control character U+0000 at code point 2'],
    ['a line feed', '"SPB\\n"', 'branch contains the control character U+000A at code point 4'],
    ['a C1 control', '"SPB\\u0085"', 'branch contains the control character U+0085 at code point 4'],
    [
      'a lone surrogate',
      '"SPB\\ud800"',
      'branch is not valid Unicode: lone surrogate U+D800 at code point 4',
    ],
    ['only no-break spaces', '"\\u00a0\\u3000"', 'branch is empty'],
    ['only a BOM character', '"\\ufeff"', 'branch is empty'],
    ['65 emoji', JSON.stringify('😀'.repeat(65)), 'branch is 65 code points long, above the limit of 64'],
  ])('rejects a branch with %s', (_, branchJson, reason) => {
    // Act
    const result = decodeBoth(deal(branchJson));

    // Assess
    expect(reasonOf(result)).toBe(reason);
  });

  it('keeps the branch exactly as written: no trimming, no normalisation, 64 emoji fit', () => {
    // Prepare
    const branches = [
      'SPB',
      'SPB ',
      ' SPB',
      'ＳＰＢ',
      'caf\u00e9',
      'cafe\u0301',
      'SPB\ufffd',
      '😀'.repeat(64),
    ];

    // Act
    const decoded = branches.map((branch) => decodeBoth(deal(JSON.stringify(branch))));

    // Assess
    expect(decoded.map((result) => (result.ok ? result.value.branch : result.reason))).toEqual(branches);
  });

  it('never merges a branch with a lone surrogate into one with U+FFFD (the text UTF-8 would make of it)', () => {
    // Prepare
    const records = [deal('"SPB\\ud800"', '5'), deal('"SPB\\ufffd"', '7')].map((value, offset) => ({
      topic: 't',
      partition: 0,
      offset,
      timestamp: 0,
      value,
    }));

    // Act
    const batch = aggregateBatch('arn', records);

    // Assess
    expect(batch.deltas.map((d) => [d.branch, d.sum.toDecimal()])).toEqual([['SPB\ufffd', '7.00']]);
    expect(batch.rejects.map((r) => [r.offset, r.reason])).toEqual([
      [0, 'branch is not valid Unicode: lone surrogate U+D800 at code point 4'],
    ]);
  });

  it('sets aside a value that starts with a UTF-8 BOM', () => {
    // Prepare
    const value = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), deal('"SPB"')]);

    // Act
    const result = decodeBoth(value);

    // Assess
    expect(reasonOf(result)).toBe(
      'value starts with a UTF-8 byte order mark, which JSON text must not (RFC 8259 §8.1)',
    );
  });

  it('quotes a currency with a lone surrogate and a NUL as escapes, cut at 40 code points', () => {
    // Prepare
    const value = Buffer.from(`{"branch":"SPB","currency":"\\ud800\\u0000${'x'.repeat(100)}","amount":1}`);

    // Act
    const reason = reasonOf(decodeBoth(value));

    // Assess
    expect(reason).toBe(
      `currency must be three uppercase letters (ISO 4217), got "\\ud800\\u0000${'x'.repeat(38)}…"`,
    );
    expect(storable(reason)).toBe(true);
  });

  it('cuts the parser message of a long value that is not JSON, so that no reason grows with its input', () => {
    // Prepare
    const value = Buffer.from(`\u0000${'\u0001'.repeat(60_000)}`);

    // Act
    const reason = reasonOf(decodeBoth(value));

    // Assess
    expect(reason.length).toBeLessThan(1_100);
    expect(storable(reason)).toBe(true);
  });

  it('counts duplicate keys by the last one, and 12.300 as 12.30', () => {
    // Prepare
    const value = Buffer.from('{"branch":"A","branch":"B","currency":"USD","amount":1,"amount":12.300}');

    // Act
    const result = decodeBoth(value);

    // Assess
    expect(result).toEqual({ ok: true, value: { branch: 'B', currency: 'USD', amountCents: 1230 } });
  });
});
