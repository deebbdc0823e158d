import { describe, expect, it } from 'vitest';
import { CentsSum, formatCents, parseCents, toCents } from '../../../lambda/domain/money.js';

/** A small deterministic sequence (LCG) so that the sums below are the same on every run. */
function* pseudoRandomCents(count: number, maxAbs: number, seed = 7): Generator<number> {
  let state = BigInt(seed);
  for (let i = 0; i < count; i++) {
    state = (state * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n;
    const unit = Number(state >> 11n) / 2 ** 53;
    yield Math.round((unit * 2 - 1) * maxAbs);
  }
}

describe('toCents', () => {
  it.each([
    [0, 0],
    [1, 100],
    [12, 1200],
    [100, 10_000],
  ])('converts the integer %d to %d cents', (amount, expected) => {
    // Act
    const cents = toCents(amount);

    // Assess
    expect(cents).toBe(expected);
  });

  it.each([
    [12.3, 1230],
    [12.34, 1234],
    [0.01, 1],
    [0.1, 10],
    [0.29, 29],
    // 1.15 * 100 is 114.99999999999999 in binary floating point: the decimals are read from the text.
    [1.15, 115],
    [4.35, 435],
    [1_000_000_000_000, 100_000_000_000_000],
    [999_999_999_999.99, 99_999_999_999_999],
  ])('converts %d with up to two decimals to exactly %d cents', (amount, expected) => {
    // Act
    const cents = toCents(amount);

    // Assess
    expect(cents).toBe(expected);
  });

  it.each([
    [-1, -100],
    [-12.34, -1234],
    [-0.05, -5],
    [-1.15, -115],
  ])('keeps the sign of the negative amount %d', (amount, expected) => {
    // Act
    const cents = toCents(amount);

    // Assess
    expect(cents).toBe(expected);
  });

  it('turns -0 into 0, not -0', () => {
    // Act
    const cents = toCents(-0);

    // Assess
    expect(Object.is(cents, 0)).toBe(true);
  });

  it.each([
    ['1.5e2', 15_000],
    ['1E2', 10_000],
    ['1e-2', 1],
    ['-2.5e-1', -25],
    ['12.5E1', 12_500],
  ])('accepts the JSON exponent form %s as %d cents', (text, expected) => {
    // Prepare
    const amount = JSON.parse(text) as number;

    // Act
    const cents = toCents(amount);

    // Assess
    expect(cents).toBe(expected);
  });

  it.each([
    ['0.1 + 0.2', 0.1 + 0.2],
    ['1.234', 1.234],
    ['0.001', 0.001],
    ['1.005', 1.005],
    ['-0.125', -0.125],
    ['1e-7 (shortest text has an exponent)', 1e-7],
  ])('rejects %s, which has more than two decimals', (_label, amount) => {
    // Act
    const cents = toCents(amount);

    // Assess
    expect(cents).toBeUndefined();
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['1e21 (beyond any sane amount)', 1e21],
    ['90071992547409.92 (cents beyond 2^53)', JSON.parse('90071992547409.92') as number],
  ])('rejects %s', (_label, amount) => {
    // Act
    const cents = toCents(amount);

    // Assess
    expect(cents).toBeUndefined();
  });

  it('rejects an amount whose cents a double cannot tell apart rather than shifting it by a cent', () => {
    // Prepare: near 9e13 doubles are 1/64 apart, so the JSON text 90071992547409.91 parses to the same
    // double as 90071992547409.90; whatever the function answers, it cannot be the amount that was sent.
    const amount = JSON.parse('90071992547409.91') as number;
    expect(amount).toBe(JSON.parse('90071992547409.90'));

    // Act
    const cents = toCents(amount);

    // Assess
    expect(cents).toBeUndefined();
  });
});

describe('formatCents', () => {
  it.each([
    [0, '0.00'],
    [5, '0.05'],
    [50, '0.50'],
    [100, '1.00'],
    [123_456, '1234.56'],
    [-1, '-0.01'],
    [-5, '-0.05'],
    [-99, '-0.99'],
    [-100, '-1.00'],
    [-123_456, '-1234.56'],
    [-0, '0.00'],
  ])('formats %d cents as %s', (cents, expected) => {
    // Act
    const text = formatCents(cents);

    // Assess
    expect(text).toBe(expected);
  });

  it('formats bigint cents beyond the exact range of a double', () => {
    // Prepare
    const cents = 10n ** 22n + 7n;

    // Act
    const positive = formatCents(cents);
    const negative = formatCents(-cents);

    // Assess
    expect(positive).toBe('100000000000000000000.07');
    expect(negative).toBe('-100000000000000000000.07');
  });
});

describe('parseCents', () => {
  it.each([
    ['0.00', 0n],
    ['12', 1200n],
    ['12.3', 1230n],
    ['12.34', 1234n],
    ['-0.05', -5n],
    ['-0.5', -50n],
    ['-12.34', -1234n],
    [' 7.25 ', 725n],
    ['123456789012345678901.99', 12_345_678_901_234_567_890_199n],
  ])('parses %s as %d cents', (text, expected) => {
    // Act
    const cents = parseCents(text);

    // Assess
    expect(cents).toBe(expected);
  });

  it.each(['', 'abc', '1.234', '1.', '.5', '--1', '+1', '1e3', '1,50', 'NaN'])('rejects %j', (text) => {
    // Act
    const parse = () => parseCents(text);

    // Assess
    expect(parse).toThrow(`not a decimal amount with at most 2 decimals: ${text}`);
  });

  it('reads back every amount formatCents writes, negatives below one unit included', () => {
    // Prepare
    const amounts: bigint[] = [];
    for (let cents = -1_000; cents <= 1_000; cents++) amounts.push(BigInt(cents));
    amounts.push(2n ** 80n + 3n, -(2n ** 80n) - 3n, BigInt(Number.MAX_SAFE_INTEGER), -1n, -5n, -99n);

    // Act
    const roundTripped = amounts.map((cents) => parseCents(formatCents(cents)));
    const fromNumbers = amounts
      .filter((cents) => cents >= -1_000n && cents <= 1_000n)
      .map((cents) => parseCents(formatCents(Number(cents))));

    // Assess
    expect(roundTripped).toEqual(amounts);
    expect(fromNumbers).toEqual(amounts.filter((cents) => cents >= -1_000n && cents <= 1_000n));
  });
});

describe('CentsSum', () => {
  it('is zero when nothing was added', () => {
    // Prepare
    const sum = new CentsSum();

    // Act
    const total = sum.toBigInt();
    const decimal = sum.toDecimal();

    // Assess
    expect(total).toBe(0n);
    expect(decimal).toBe('0.00');
  });

  it('adds 0.10 and 0.20 to exactly 0.30', () => {
    // Prepare
    const sum = new CentsSum();

    // Act
    sum.add(toCents(0.1) ?? Number.NaN);
    sum.add(toCents(0.2) ?? Number.NaN);

    // Assess
    expect(sum.toBigInt()).toBe(30n);
    expect(sum.toDecimal()).toBe('0.30');
  });

  it('stays exact on mixed signs, as bigint arithmetic does', () => {
    // Prepare
    const amounts = [...pseudoRandomCents(10_000, 10_000)];
    const expected = amounts.reduce((total, cents) => total + BigInt(cents), 0n);
    const sum = new CentsSum();

    // Act
    for (const cents of amounts) sum.add(cents);

    // Assess
    expect(sum.toBigInt()).toBe(expected);
    expect(sum.toDecimal()).toBe(formatCents(expected));
  });

  it.each([
    ['positive', 99_999_999_999_999],
    ['negative', -99_999_999_999_999],
  ])('stays exact when a %s running sum spills beyond 2^52', (_sign, cents) => {
    // Prepare: 500 maximal amounts make about 5e16 cents, far beyond 2^53, where doubles skip integers.
    const sum = new CentsSum();
    const expected = 500n * BigInt(cents);
    let naive = 0;

    // Act
    for (let i = 0; i < 500; i++) {
      sum.add(cents);
      naive += cents;
    }

    // Assess
    expect(BigInt(naive)).not.toBe(expected);
    expect(sum.toBigInt()).toBe(expected);
    expect(sum.toDecimal()).toBe(formatCents(expected));
  });

  it('stays exact for large amounts of both signs around the spill threshold', () => {
    // Prepare
    const amounts = [...pseudoRandomCents(20_000, 99_999_999_999_999, 11)].map((cents, i) =>
      i % 3 === 0 ? -Math.abs(cents) : Math.abs(cents),
    );
    const expected = amounts.reduce((total, cents) => total + BigInt(cents), 0n);
    const sum = new CentsSum();

    // Act
    for (const cents of amounts) sum.add(cents);

    // Assess
    expect(expected > 2n ** 53n).toBe(true);
    expect(sum.toBigInt()).toBe(expected);
  });

  it('merges sums with addSum exactly, spilled parts included', () => {
    // Prepare
    const left = new CentsSum();
    const right = new CentsSum();
    for (let i = 0; i < 300; i++) left.add(99_999_999_999_999);
    for (let i = 0; i < 200; i++) right.add(99_999_999_999_998);
    right.add(-37);
    const expected = 300n * 99_999_999_999_999n + 200n * 99_999_999_999_998n - 37n;

    // Act
    left.addSum(right);

    // Assess
    expect(left.toBigInt()).toBe(expected);
    expect(right.toBigInt()).toBe(200n * 99_999_999_999_998n - 37n);
  });
});
