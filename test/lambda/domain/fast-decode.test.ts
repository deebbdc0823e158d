import { describe, expect, it } from 'vitest';
import { aggregateBatch } from '../../../lambda/domain/aggregate.js';
import {
  type DealValidation,
  decodeDealFast,
  decodeTransactionFast,
  scanCanonicalTransaction,
} from '../../../lambda/domain/fast-decode.js';
import {
  DEFAULT_BRANCHES,
  DEFAULT_CURRENCIES,
  seededRandom,
  TransactionGenerator,
} from '../../../lambda/domain/generator.js';
import type { KafkaRecord } from '../../../lambda/domain/kafka-record.js';
import { CentsSum } from '../../../lambda/domain/money.js';
import {
  DEFAULT_RULES,
  decodeTransaction,
  type Validation,
  type ValidationRules,
} from '../../../lambda/domain/transaction.js';

// fast-check is not a dependency: a seeded generator makes the cases, so a failure is reproducible
// from the seed printed with it.

/**
 * Record values, valid and not. A case is either clean (every choice one the producer could make,
 * though not always in its exact shape) or bent (each choice odd with a good probability), so that
 * both the fast path and the plain path see plenty of cases.
 */
class Cases {
  private readonly random: () => number;
  /** Probability of an odd choice in the case being made. */
  private oddness = 0;

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  chance(p: number): boolean {
    return this.random() < p;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  pick<T>(values: readonly T[]): T {
    return values[this.int(0, values.length - 1)] as T;
  }

  /** The usual choice, or an odd one with the case's oddness. */
  either<T>(usual: () => T, odd: () => T): T {
    return this.chance(this.oddness) ? odd() : usual();
  }

  ascii(minLength: number, maxLength: number): string {
    let text = '';
    for (let n = this.int(minLength, maxLength); n > 0; n--) {
      text += String.fromCharCode(this.int(0x20, 0x7e));
    }
    return text;
  }

  digits(count: number): string {
    let text = '';
    for (let i = 0; i < count; i++) text += String(this.int(0, 9));
    return text;
  }

  /** JSON text of a string: usually as JSON.stringify writes it, sometimes with needless escapes. */
  stringJson(text: string): string {
    if (this.chance(this.oddness / 3)) {
      // An escape for a plain letter: the same text once parsed, but not canonical bytes.
      return JSON.stringify(text).replace(
        /[A-Za-z]/,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      );
    }
    return JSON.stringify(text);
  }

  branchJson(): string {
    return this.either(
      () =>
        this.stringJson(
          this.chance(0.7)
            ? this.pick([
                ...DEFAULT_BRANCHES,
                'Nizhny Novgorod',
                'A',
                'x'.repeat(5),
                'x'.repeat(6),
                'y'.repeat(64),
              ])
            : // A name not seen before, so that names are also checked on their way to being interned.
              `${this.ascii(1, 1).replace(' ', 'B')}${this.ascii(0, 11)}`,
        ),
      () =>
        this.chance(0.2)
          ? this.pick(['null', '42', 'true', '["Kazan"]', '{"name":"Kazan"}'])
          : this.stringJson(
              this.pick([
                ' SPB',
                'SPB ',
                'y'.repeat(65),
                ' ',
                '   ',
                '',
                'Новосибирск',
                'São Paulo',
                '😀',
                '\u00a0',
                'tab\there',
                'a"b\\c',
                this.ascii(1, 8),
                this.ascii(1, 70),
              ]),
            ),
    );
  }

  currencyJson(): string {
    return this.either(
      () =>
        this.stringJson(
          this.chance(0.8)
            ? this.pick(DEFAULT_CURRENCIES)
            : String.fromCharCode(this.int(0x41, 0x5a), this.int(0x41, 0x5a), this.int(0x41, 0x5a)),
        ),
      () =>
        this.chance(0.2)
          ? this.pick(['null', '840', '["USD"]', '{}'])
          : this.stringJson(this.pick(['usd', 'US', 'USDT', 'ÉUR', 'U D', 'U"D', this.ascii(3, 3)])),
    );
  }

  amountText(): string {
    const usual = () => {
      if (this.chance(0.8)) return `${this.int(1, 9_999_999)}${this.pick(['', `.${this.digits(2)}`, '.5'])}`;
      const whole = this.pick([
        '0',
        String(this.int(1, 100)),
        String(this.int(1, 999_999)),
        `${this.int(1, 9)}${this.digits(this.int(0, 11))}`,
        // Around the bounds: 10^12 by default, 15 significant digits for any rules.
        `${this.int(1, 9)}${this.digits(this.int(11, 16))}`,
      ]);
      const fraction = this.pick(['', '', `.${this.digits(1)}`, `.${this.digits(2)}`, '.00', '.50']);
      return `${this.chance(0.4) ? '-' : ''}${whole}${fraction}`;
    };
    const odd = () => {
      if (this.chance(0.3)) {
        return this.pick([
          '-0',
          '-0.0',
          '-0.00',
          '0.00',
          'NaN',
          'Infinity',
          '"12"',
          'null',
          '1.5e1',
          '-',
          '.5',
        ]);
      }
      const whole = this.pick([
        `${this.int(1, 9)}${this.digits(12)}`,
        '1000000000000',
        `${this.int(1, 9)}${this.digits(this.int(13, 25))}`,
        `0${this.digits(this.int(1, 3))}`,
        String(this.int(1, 100)),
        '',
      ]);
      const fraction = this.pick(['', `.${this.digits(2)}`, `.${this.digits(this.int(3, 20))}`, '.', '.0']);
      const exponent = this.pick(['', '', 'e2', 'E+2', 'e-2', 'e400', 'e-400', 'e']);
      return `${this.chance(0.5) ? '-' : ''}${whole}${fraction}${exponent}`;
    };
    return this.either(usual, odd);
  }

  /** A baseAmount: usually positive with at most 2 decimals, around the 15-digit and 10^16 bounds too. */
  baseAmountText(): string {
    const usual = () => {
      if (this.chance(0.8)) return `${this.int(1, 9_999_999)}${this.pick(['', `.${this.digits(2)}`, '.5'])}`;
      const whole = this.pick([
        '0',
        String(this.int(1, 100)),
        String(this.int(1, 9_999_999)),
        `${this.int(1, 9)}${this.digits(this.int(10, 13))}`,
        `${this.int(1, 9)}${this.digits(this.int(14, 17))}`,
        '10000000000000000',
        `${this.int(1, 9)}0000000000000000`,
      ]);
      const fraction = this.pick(['', '', `.${this.digits(1)}`, `.${this.digits(2)}`, '.00', '.01']);
      return `${whole}${fraction}`;
    };
    const odd = () =>
      this.pick([
        '0',
        '0.00',
        '-0',
        '-1',
        '-90.5',
        '1.234',
        '"9000"',
        'null',
        '1e2',
        '1e400',
        '1e-7',
        '012',
        '12.',
        `${this.int(1, 9)}${this.digits(this.int(15, 22))}.${this.digits(2)}`,
        '0.1000000000000000055511151231257827',
      ]);
    return this.either(usual, odd);
  }

  eventTimeText(): string {
    return this.either(
      () => String(this.int(0, 2 ** 41)),
      () =>
        this.pick([
          '0',
          '-1',
          '-0',
          '1.0',
          '1.5',
          '1e3',
          '"1764000000000"',
          '01',
          '999999999999999',
          '9007199254740991',
          '9007199254740993',
          '99999999999999999999',
          'null',
        ]),
    );
  }

  idJson(): string {
    return this.either(
      () => this.stringJson(this.chance(0.7) ? `tx-${this.int(0, 1e6).toString(36)}` : this.ascii(1, 30)),
      () =>
        this.chance(0.3)
          ? this.pick(['42', 'null', '""', '{}'])
          : this.stringJson(this.pick([this.ascii(120, 135), 'ид-1', ''])),
    );
  }

  extraFieldJson(): string {
    return this.pick([
      '"note":"hello"',
      '"nested":{"branch":"Kazan","deep":{"x":[1,2,{"y":null}]}}',
      '"list":[1,2,3]',
      '"flag":true',
      '"nothing":null',
      '"__proto__":{"amount":1}',
      '"unicodé":"ü"',
      '"huge":1e400',
      `"pad":"${'z'.repeat(this.int(0, 300))}"`,
    ]);
  }

  /** A record value as JSON text. */
  recordText(): string {
    const fields: [string, string][] = [];
    if (
      this.either(
        () => this.chance(0.9),
        () => this.chance(0.5),
      )
    )
      fields.push(['id', this.idJson()]);
    if (
      this.either(
        () => true,
        () => this.chance(0.8),
      )
    )
      fields.push(['branch', this.branchJson()]);
    if (
      this.either(
        () => true,
        () => this.chance(0.8),
      )
    )
      fields.push(['currency', this.currencyJson()]);
    if (
      this.either(
        () => true,
        () => this.chance(0.8),
      )
    )
      fields.push(['amount', this.amountText()]);
    if (
      this.either(
        () => this.chance(0.7),
        () => this.chance(0.5),
      )
    )
      fields.push(['baseAmount', this.baseAmountText()]);
    if (
      this.either(
        () => this.chance(0.9),
        () => this.chance(0.5),
      )
    ) {
      fields.push(['eventTime', this.eventTimeText()]);
    }
    if (this.chance(0.15)) {
      // Another key order: as valid as the producer's.
      for (let i = fields.length - 1; i > 0; i--) {
        const j = this.int(0, i);
        [fields[i], fields[j]] = [fields[j] as [string, string], fields[i] as [string, string]];
      }
    }
    const members = fields.map(([key, value]) => `"${key}":${value}`);
    if (this.chance(this.oddness / 2)) {
      // A duplicate key: JSON.parse keeps the last one.
      const key = this.pick(['id', 'branch', 'currency', 'amount', 'baseAmount', 'eventTime'] as const);
      const value = {
        id: () => this.idJson(),
        branch: () => this.branchJson(),
        currency: () => this.currencyJson(),
        amount: () => this.amountText(),
        baseAmount: () => this.baseAmountText(),
        eventTime: () => this.eventTimeText(),
      }[key]();
      members.splice(this.int(0, members.length), 0, `"${key}":${value}`);
    }
    if (this.chance(this.oddness / 2)) members.splice(this.int(0, members.length), 0, this.extraFieldJson());
    const separator = this.chance(this.oddness / 4) ? this.pick([', ', ' ,', ',\n', ',\t']) : ',';
    let text = `{${members.join(separator)}}`;
    if (this.chance(this.oddness / 2)) {
      text = this.pick([
        ` ${text}`,
        `${text} `,
        `${text}\n`,
        `[${text}]`,
        `${text}${text}`,
        text.replace(':', ' : '),
        text.replace('{', '{ '),
        text.replace(/}$/, ',}'),
      ]);
    }
    return text;
  }

  /** The bytes of a record value, clean or bent, sometimes damaged. */
  recordBytes(): Uint8Array | undefined {
    this.oddness = this.chance(0.5) ? 0 : this.pick([0.05, 0.2, 0.5]);
    if (this.chance(this.oddness / 20)) return this.pick([undefined, new Uint8Array(0)]);
    let bytes: Uint8Array = Buffer.from(this.recordText());
    if (this.chance(this.oddness / 10)) bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
    if (this.chance(this.oddness / 50)) {
      bytes = Buffer.concat([bytes, Buffer.alloc(DEFAULT_RULES.maxValueBytes, 0x20)]);
    }
    if (this.chance(this.oddness / 3)) {
      // Byte flips: any byte value, including ones that are not UTF-8 at all, or a structural one.
      bytes = Uint8Array.from(bytes);
      for (let n = this.int(1, 3); n > 0 && bytes.length > 0; n--) {
        bytes[this.int(0, bytes.length - 1)] = this.chance(0.5)
          ? this.int(0, 255)
          : this.pick([0x22, 0x5c, 0x2c, 0x3a, 0x7b, 0x7d, 0x2e, 0x2d, 0x30, 0x20, 0x65]);
      }
    }
    if (this.chance(this.oddness / 10)) {
      const at = this.int(0, bytes.length);
      const invalid = this.pick([[0xff], [0xc3], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]]);
      bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(invalid), bytes.subarray(at)]);
    }
    if (this.chance(this.oddness / 5)) bytes = bytes.subarray(0, this.int(0, bytes.length));
    // A view into a larger buffer, as Buffer.from(base64) hands out slices of its pool.
    if (this.chance(0.2)) {
      const offset = this.int(1, 16);
      const host = Buffer.alloc(bytes.length + offset + this.int(0, 16), 0x7b);
      host.set(bytes, offset);
      bytes = host.subarray(offset, offset + bytes.length);
    }
    return bytes;
  }
}

// Rules under which many clean cases are too long or too large, used in turn with the defaults so
// that a name interned under one call's rules is checked against another call's.
const TIGHT_RULES: ValidationRules = {
  maxBranchLength: 5,
  maxAbsAmount: 100_000,
  maxValueBytes: 100,
  maxIdLength: 6,
  maxBaseAmount: 1_000_000,
};
const WIDE_RULES: ValidationRules = { ...DEFAULT_RULES, maxAbsAmount: 1e20, maxBranchLength: 100 };
const SMALL_VALUE_RULES: ValidationRules = { ...DEFAULT_RULES, maxValueBytes: 90 };

interface Mismatch {
  readonly seed: number;
  readonly index: number;
  readonly value: string;
  readonly fast: Validation;
  readonly deal: DealValidation;
  readonly plain: Validation;
}

/** Deep equality that tells -0 from +0, as toEqual does. */
function sameValidation(a: Validation, b: Validation): boolean {
  if (a.ok !== b.ok) return false;
  if (!a.ok || !b.ok) return !a.ok && !b.ok && a.reason === b.reason;
  const keys = Object.keys(a.value);
  if (keys.join() !== Object.keys(b.value).join()) return false;
  return keys.every((key) =>
    Object.is(a.value[key as keyof typeof a.value], b.value[key as keyof typeof b.value]),
  );
}

/**
 * The same decision and reason, and for an accepted value the same branch, currency, amount, base
 * amount and event time.
 */
function sameDeal(deal: DealValidation, plain: Validation): boolean {
  if (!deal.ok || !plain.ok) return !deal.ok && !plain.ok && deal.reason === plain.reason;
  return (
    deal.value.branch === plain.value.branch &&
    deal.value.currency === plain.value.currency &&
    Object.is(deal.value.amountCents, plain.value.amountCents) &&
    Object.is(deal.value.baseAmount, plain.value.baseAmount) &&
    Object.is(deal.value.eventTime, plain.value.eventTime)
  );
}

describe('decodeTransactionFast and decodeDealFast', () => {
  it('give what decodeTransaction gives for tens of thousands of random and malformed values', () => {
    // Prepare
    const seed = 20_261_124;
    const cases = new Cases(seed);
    const mismatches: Mismatch[] = [];
    const ruleSets = [DEFAULT_RULES, DEFAULT_RULES, TIGHT_RULES, WIDE_RULES, SMALL_VALUE_RULES];
    const fastSums = new Map<string, CentsSum>();
    const dealSums = new Map<string, CentsSum>();
    const plainSums = new Map<string, CentsSum>();
    let scanned = 0;
    let accepted = 0;
    const reasons = new Set<string>();
    const total = 60_000;

    // Act
    for (let index = 0; index < total; index++) {
      const bytes = cases.recordBytes();
      const rules = cases.pick(ruleSets);
      if (bytes !== undefined && scanCanonicalTransaction(bytes, rules) !== undefined) scanned++;
      const fast = decodeTransactionFast(bytes, rules);
      const deal = decodeDealFast(bytes, rules);
      const plain = decodeTransaction(bytes, rules);
      if (!sameValidation(fast, plain) || !sameDeal(deal, plain)) {
        const value = Buffer.from(bytes ?? []).toString('latin1');
        mismatches.push({ seed, index, value, fast, deal, plain });
      }
      if (plain.ok) accepted++;
      else reasons.add(plain.reason.replace(/[\d"].*$/, ''));
      for (const [result, sums] of [
        [fast, fastSums],
        [deal, dealSums],
        [plain, plainSums],
      ] as const) {
        if (!result.ok) continue;
        const key = `${result.value.branch}|${result.value.currency}`;
        const sum = sums.get(key) ?? new CentsSum();
        sum.add(result.value.amountCents);
        sums.set(key, sum);
      }
    }

    // Assess
    expect(mismatches.slice(0, 5)).toEqual([]);
    const decimals = (sums: Map<string, CentsSum>) =>
      new Map([...sums].map(([key, sum]) => [key, sum.toDecimal()]));
    expect(decimals(fastSums)).toEqual(decimals(plainSums));
    expect(decimals(dealSums)).toEqual(decimals(plainSums));
    // The cases reach both paths and many distinct rejections, or the comparison proves little.
    expect(scanned).toBeGreaterThan(total * 0.3);
    expect(accepted - scanned).toBeGreaterThan(total * 0.05);
    expect(total - accepted).toBeGreaterThan(total * 0.2);
    expect(reasons.size).toBeGreaterThan(20);
  });

  it('takes the fast path for every value the producer makes', () => {
    // Prepare
    const generator = new TransactionGenerator({
      seed: 5,
      idPrefix: '3f1c2b7a-9d4e-4c21-8b6f-',
      minAmount: -1e6,
    });
    const values = Array.from({ length: 5_000 }, (_, i) =>
      Buffer.from(JSON.stringify(generator.next(1_764_000_000_000 + i))),
    );

    // Act
    const scanned = values.map((value) => scanCanonicalTransaction(value));

    // Assess
    expect(scanned.every((transaction) => transaction !== undefined)).toBe(true);
    expect(scanned.map((transaction) => ({ ok: true, value: transaction }))).toEqual(
      values.map((value) => decodeTransaction(value)),
    );
  });

  it.each([
    ['the last of duplicate keys', '{"branch":"SPB","currency":"USD","amount":1,"amount":2}'],
    ['-0 as +0', '{"branch":"SPB","currency":"USD","amount":-0}'],
    ['-0.00 as +0', '{"branch":"SPB","currency":"USD","amount":-0.00}'],
    ['trailing zeros in decimals', '{"branch":"SPB","currency":"USD","amount":12.30}'],
    ['13 integer digits with cents', '{"branch":"SPB","currency":"USD","amount":999999999999.99}'],
    ['an amount beyond the bound', '{"branch":"SPB","currency":"USD","amount":1000000000000.01}'],
    ['an exponent', '{"branch":"SPB","currency":"USD","amount":1e2}'],
    ['three decimals', '{"branch":"SPB","currency":"USD","amount":1.005}'],
    ['a leading zero', '{"branch":"SPB","currency":"USD","amount":01}'],
    ['a BOM', '\ufeff{"branch":"SPB","currency":"USD","amount":1}'],
    ['whitespace', '{ "branch": "SPB", "currency": "USD", "amount": 1 }'],
    ['an escaped letter', '{"branch":"\\u0053PB","currency":"USD","amount":1}'],
    ['a branch of spaces', '{"branch":"   ","currency":"USD","amount":1}'],
    ['an empty id', '{"id":"","branch":"SPB","currency":"USD","amount":1}'],
    ['eventTime 1.0', '{"branch":"SPB","currency":"USD","amount":1,"eventTime":1.0}'],
    ['eventTime -0', '{"branch":"SPB","currency":"USD","amount":1,"eventTime":-0}'],
    ['an unknown field', '{"branch":"SPB","currency":"USD","amount":1,"note":{"a":[1]}}'],
    ['a missing amount', '{"branch":"SPB","currency":"USD"}'],
    ['trailing bytes', '{"branch":"SPB","currency":"USD","amount":1}x'],
    ['trailing zeros past the cents', '{"branch":"SPB","currency":"USD","amount":12.300}'],
    ['a branch with U+0000', '{"branch":"S\\u0000PB","currency":"USD","amount":1}'],
    ['a branch with a lone surrogate', '{"branch":"SPB\\ud800","currency":"USD","amount":1}'],
    ['a branch with U+FFFD', '{"branch":"SPB\ufffd","currency":"USD","amount":1}'],
    ['a branch with a tab', '{"branch":"S\tPB","currency":"USD","amount":1}'],
    ['a branch of no-break spaces', '{"branch":"\u00a0\u00a0","currency":"USD","amount":1}'],
    ['a branch of 64 emoji', `{"branch":"${'😀'.repeat(64)}","currency":"USD","amount":1}`],
  ])('agrees with the plain path on %s', (_, text) => {
    // Prepare
    const value = Buffer.from(text);

    // Act
    const fast = decodeTransactionFast(value);
    const deal = decodeDealFast(value);

    // Assess
    const plain = decodeTransaction(value);
    expect(fast).toEqual(plain);
    expect(sameDeal(deal, plain)).toBe(true);
  });

  it('checks an interned branch name against the rules of each call', () => {
    // Prepare
    const value = Buffer.from('{"branch":"Novosibirsk","currency":"USD","amount":1}');
    decodeTransactionFast(value);

    // Act
    const result = decodeTransactionFast(value, { ...DEFAULT_RULES, maxBranchLength: 5 });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'branch is 11 code points long, above the limit of 5' });
  });
});

describe('aggregateBatch on the fast path', () => {
  it('sums and rejects exactly as the plain decoder would', () => {
    // Prepare
    const cases = new Cases(77);
    const records: KafkaRecord[] = Array.from({ length: 20_000 }, (_, offset) => {
      const value = cases.recordBytes();
      return {
        topic: 'transaction',
        partition: 0,
        offset,
        timestamp: 1_764_000_000_000 + offset,
        ...(value === undefined ? {} : { value: Buffer.from(value) }),
      };
    });

    // Act
    const batch = aggregateBatch('arn:aws:kafka:local', records);

    // Assess
    const sums = new Map<string, { sum: CentsSum; count: number }>();
    const rejects: { offset: number; reason: string }[] = [];
    for (const record of records) {
      const decoded = decodeTransaction(record.value);
      if (!decoded.ok) {
        rejects.push({ offset: record.offset, reason: decoded.reason });
        continue;
      }
      const key = `${decoded.value.branch}|${decoded.value.currency}`;
      const cell = sums.get(key) ?? { sum: new CentsSum(), count: 0 };
      cell.sum.add(decoded.value.amountCents);
      cell.count++;
      sums.set(key, cell);
    }
    expect(
      new Map(batch.deltas.map((d) => [`${d.branch}|${d.currency}`, [d.sum.toDecimal(), d.count]])),
    ).toEqual(new Map([...sums].map(([key, cell]) => [key, [cell.sum.toDecimal(), cell.count]])));
    expect(batch.rejects.map((r) => ({ offset: r.offset, reason: r.reason }))).toEqual(rejects);
    expect(rejects.length).toBeGreaterThan(1_000);
  });
});
