import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RULES,
  decodeTransaction,
  type Validation,
  validateTransaction,
} from '../../../lambda/domain/transaction.js';
import { parserMessage } from '../../fixtures/parser-message.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The reason of a rejection; fails the test when the record was accepted. */
function reasonOf(validation: Validation): string {
  if (validation.ok) throw new Error(`expected a rejection, got ${JSON.stringify(validation.value)}`);
  return validation.reason;
}

describe('decodeTransaction', () => {
  it('decodes a valid deal with its id and event time', () => {
    // Prepare
    const value = utf8(
      '{"id":"tx-1","branch":"Kazan","currency":"USD","amount":-42.5,"eventTime":1732441850987}',
    );

    // Act
    const result = decodeTransaction(value);

    // Assess
    expect(result).toEqual({
      ok: true,
      value: { id: 'tx-1', branch: 'Kazan', currency: 'USD', amountCents: -4250, eventTime: 1732441850987 },
    });
  });

  it("decodes the tutorial's record, which has no id and no event time", () => {
    // Prepare
    const value = utf8('{"branch": "SPB", "currency": "GBP", "amount": 100}');

    // Act
    const result = decodeTransaction(value);

    // Assess
    expect(result).toEqual({ ok: true, value: { branch: 'SPB', currency: 'GBP', amountCents: 10_000 } });
  });

  it('decodes a branch written in Cyrillic', () => {
    // Prepare
    const value = utf8('{"branch":"Казань","currency":"RUB","amount":1.15}');

    // Act
    const result = decodeTransaction(value);

    // Assess
    expect(result).toEqual({ ok: true, value: { branch: 'Казань', currency: 'RUB', amountCents: 115 } });
  });

  it('tolerates unknown extra fields and leaves them out of the transaction', () => {
    // Prepare
    const value = utf8(
      '{"branch":"Surgut","currency":"EUR","amount":7,"note":"desk 4","meta":{"v":2},"tags":[1,2],"x":null}',
    );

    // Act
    const result = decodeTransaction(value);

    // Assess
    expect(result).toEqual({ ok: true, value: { branch: 'Surgut', currency: 'EUR', amountCents: 700 } });
  });

  it('rejects a tombstone (a record without a value)', () => {
    // Act
    const result = decodeTransaction(undefined);

    // Assess
    expect(reasonOf(result)).toBe('record has no value (tombstone)');
  });

  it('rejects an empty value', () => {
    // Act
    const result = decodeTransaction(new Uint8Array(0));

    // Assess
    expect(reasonOf(result)).toBe('value is empty');
  });

  it('accepts a value of exactly the size limit and rejects one byte more', () => {
    // Prepare
    const json = '{"branch":"Kazan","currency":"USD","amount":1}';
    const atLimit = utf8(json.padEnd(DEFAULT_RULES.maxValueBytes, ' '));
    const overLimit = utf8(json.padEnd(DEFAULT_RULES.maxValueBytes + 1, ' '));

    // Act
    const accepted = decodeTransaction(atLimit);
    const rejected = decodeTransaction(overLimit);

    // Assess
    expect(accepted.ok).toBe(true);
    expect(reasonOf(rejected)).toBe('value is 65537 bytes, above the limit of 65536');
  });

  it('applies the size limit of custom rules', () => {
    // Prepare
    const value = utf8('{"branch":"Kazan","currency":"USD","amount":1}');

    // Act
    const result = decodeTransaction(value, { ...DEFAULT_RULES, maxValueBytes: 16 });

    // Assess
    expect(reasonOf(result)).toBe(`value is ${value.length} bytes, above the limit of 16`);
  });

  it.each([
    ['a byte that never occurs in UTF-8', [0x7b, 0xff, 0x7d]],
    ['an overlong encoding of "/"', [0x22, 0xc0, 0xaf, 0x22]],
    ['a sequence cut short at the end', [0x22, 0xe2, 0x82]],
    ['an encoded UTF-16 surrogate', [0x22, 0xed, 0xa0, 0x80, 0x22]],
    [
      'Windows-1251 text',
      [...Buffer.from('{"branch":"', 'latin1'), 0xca, 0xe0, 0xe7, 0xe0, 0xed, 0xfc, 0x22],
    ],
  ])('rejects a value that is not valid UTF-8: %s', (_label, bytes) => {
    // Act
    const result = decodeTransaction(Uint8Array.from(bytes));

    // Assess
    expect(reasonOf(result)).toBe('value is not valid UTF-8');
  });

  it.each([
    'hello',
    '{"branch":"Kazan","currency":"USD","amount":1',
    "{'branch':'Kazan'}",
    '{"amount": 01}',
    '{"amount": NaN}',
    'branch=Kazan;currency=USD;amount=1',
  ])('rejects %j as not JSON, with the parser message', (text) => {
    // Prepare
    const expected = `value is not JSON: ${parserMessage(text)}`;

    // Act
    const result = decodeTransaction(utf8(text));

    // Assess
    expect(reasonOf(result)).toBe(expected);
  });

  it.each([
    ['[1,2]', 'value must be a JSON object, got an array'],
    ['[]', 'value must be a JSON object, got an array'],
    ['42', 'value must be a JSON object, got a number'],
    ['null', 'value must be a JSON object, got null'],
    ['"Kazan USD 1"', 'value must be a JSON object, got a string'],
    ['true', 'value must be a JSON object, got a boolean'],
  ])('rejects the JSON %s, which is not an object', (text, reason) => {
    // Act
    const result = decodeTransaction(utf8(text));

    // Assess
    expect(reasonOf(result)).toBe(reason);
  });

  it('decodes through to the same reasons as validateTransaction', () => {
    // Prepare
    const input = { branch: 'Kazan', currency: 'usd', amount: 1 };

    // Act
    const decoded = decodeTransaction(utf8(JSON.stringify(input)));
    const validated = validateTransaction(input);

    // Assess
    expect(decoded).toEqual(validated);
    expect(reasonOf(decoded)).toBe('currency must be three uppercase letters (ISO 4217), got "usd"');
  });
});

describe('validateTransaction', () => {
  const valid = { branch: 'Kazan', currency: 'USD', amount: 10 } as const;

  it.each([
    ['no branch', { currency: 'USD', amount: 1 }, 'branch is missing'],
    ['a number as branch', { ...valid, branch: 42 }, 'branch must be a string, got a number'],
    ['null as branch', { ...valid, branch: null }, 'branch must be a string, got null'],
    ['an array as branch', { ...valid, branch: ['Kazan'] }, 'branch must be a string, got an array'],
    [
      'an object as branch',
      { ...valid, branch: { name: 'Kazan' } },
      'branch must be a string, got an object',
    ],
    ['true as branch', { ...valid, branch: true }, 'branch must be a string, got a boolean'],
    ['an empty branch', { ...valid, branch: '' }, 'branch is empty'],
    ['a branch of spaces', { ...valid, branch: '   ' }, 'branch is empty'],
    ['a branch of tabs and newlines', { ...valid, branch: '\t\n' }, 'branch is empty'],
    [
      'a branch of 65 characters',
      { ...valid, branch: 'K'.repeat(65) },
      'branch is 65 code points long, above the limit of 64',
    ],
  ])('rejects %s', (_label, input, reason) => {
    // Act
    const result = validateTransaction(input);

    // Assess
    expect(reasonOf(result)).toBe(reason);
  });

  it('accepts a branch of exactly 64 characters', () => {
    // Prepare
    const branch = 'K'.repeat(64);

    // Act
    const result = validateTransaction({ ...valid, branch });

    // Assess
    expect(result).toEqual({ ok: true, value: { branch, currency: 'USD', amountCents: 1000 } });
  });

  it.each([
    ['no currency', { branch: 'Kazan', amount: 1 }, 'currency is missing'],
    ['a number as currency', { ...valid, currency: 840 }, 'currency must be a string, got a number'],
    ['null as currency', { ...valid, currency: null }, 'currency must be a string, got null'],
    [
      'a lowercase currency',
      { ...valid, currency: 'usd' },
      'currency must be three uppercase letters (ISO 4217), got "usd"',
    ],
    [
      'a mixed-case currency',
      { ...valid, currency: 'Usd' },
      'currency must be three uppercase letters (ISO 4217), got "Usd"',
    ],
    [
      'a currency of four letters',
      { ...valid, currency: 'USDT' },
      'currency must be three uppercase letters (ISO 4217), got "USDT"',
    ],
    [
      'a currency of two letters',
      { ...valid, currency: 'US' },
      'currency must be three uppercase letters (ISO 4217), got "US"',
    ],
    [
      'a currency with spaces around it',
      { ...valid, currency: ' USD ' },
      'currency must be three uppercase letters (ISO 4217), got " USD "',
    ],
    [
      'a currency followed by a newline',
      { ...valid, currency: 'USD\n' },
      'currency must be three uppercase letters (ISO 4217), got "USD\\u000a"',
    ],
    [
      'an empty currency',
      { ...valid, currency: '' },
      'currency must be three uppercase letters (ISO 4217), got ""',
    ],
    [
      'a long currency, quoted in the reason cut to 40 characters',
      { ...valid, currency: 'X'.repeat(50) },
      `currency must be three uppercase letters (ISO 4217), got "${'X'.repeat(40)}…"`,
    ],
  ])('rejects %s', (_label, input, reason) => {
    // Act
    const result = validateTransaction(input);

    // Assess
    expect(reasonOf(result)).toBe(reason);
  });

  it.each([
    ['no amount', { branch: 'Kazan', currency: 'USD' }, 'amount is missing'],
    ['the amount as a string', { ...valid, amount: '10' }, 'amount must be a JSON number, got a string'],
    ['null as amount', { ...valid, amount: null }, 'amount must be a JSON number, got null'],
    ['true as amount', { ...valid, amount: true }, 'amount must be a JSON number, got a boolean'],
    ['an array as amount', { ...valid, amount: [10] }, 'amount must be a JSON number, got an array'],
    [
      'an object as amount',
      { ...valid, amount: { value: 10 } },
      'amount must be a JSON number, got an object',
    ],
    [
      'an amount with three decimals',
      { ...valid, amount: 1.234 },
      'amount 1.234 has more than 2 decimal places',
    ],
    [
      'the amount 0.1 + 0.2',
      { ...valid, amount: 0.1 + 0.2 },
      'amount 0.30000000000000004 has more than 2 decimal places',
    ],
    ['an amount of 1e-7', { ...valid, amount: 1e-7 }, 'amount 1e-7 has more than 2 decimal places'],
    [
      'an amount just above the bound',
      { ...valid, amount: 1_000_000_000_000.01 },
      'amount 1000000000000.01 is out of bounds: its absolute value must be at most 1000000000000',
    ],
    [
      'a negative amount beyond the bound',
      { ...valid, amount: -1e13 },
      'amount -10000000000000 is out of bounds: its absolute value must be at most 1000000000000',
    ],
    [
      'an amount of 1e21',
      { ...valid, amount: 1e21 },
      'amount 1e+21 is out of bounds: its absolute value must be at most 1000000000000',
    ],
  ])('rejects %s', (_label, input, reason) => {
    // Act
    const result = validateTransaction(input);

    // Assess
    expect(reasonOf(result)).toBe(reason);
  });

  it.each([
    ['1e400', '{"branch":"Kazan","currency":"USD","amount":1e400}'],
    ['-1e400', '{"branch":"Kazan","currency":"USD","amount":-1e400}'],
  ])('rejects the amount %s, which JSON.parse turns into Infinity', (_label, text) => {
    // Act
    const result = decodeTransaction(utf8(text));

    // Assess
    expect(reasonOf(result)).toBe('amount is not a finite number');
  });

  it.each([
    [1_000_000_000_000, 100_000_000_000_000],
    [-1_000_000_000_000, -100_000_000_000_000],
    [0, 0],
    [-0, 0],
    [12.3, 1230],
    [-0.01, -1],
  ])('accepts the amount %d as %d cents', (amount, amountCents) => {
    // Act
    const result = validateTransaction({ ...valid, amount });

    // Assess
    expect(result).toEqual({ ok: true, value: { branch: 'Kazan', currency: 'USD', amountCents } });
  });

  it.each([
    ['a number as id', { ...valid, id: 7 }, 'id must be a string, got a number'],
    ['null as id', { ...valid, id: null }, 'id must be a string, got null'],
    ['an empty id', { ...valid, id: '' }, 'id must be 1 to 128 code points long, got 0'],
    [
      'an id of 129 characters',
      { ...valid, id: 'i'.repeat(129) },
      'id must be 1 to 128 code points long, got 129',
    ],
  ])('rejects %s', (_label, input, reason) => {
    // Act
    const result = validateTransaction(input);

    // Assess
    expect(reasonOf(result)).toBe(reason);
  });

  it.each([
    ['a date string', '2024-11-24T10:30:50Z'],
    ['a negative number', -1],
    ['a fraction of a millisecond', 1732441850987.5],
    ['a number beyond the safe integer range', 2 ** 53],
    ['null', null],
    ['true', true],
  ])('rejects %s as eventTime', (_label, eventTime) => {
    // Act
    const result = validateTransaction({ ...valid, eventTime });

    // Assess
    expect(reasonOf(result)).toBe('eventTime must be a non-negative integer of epoch milliseconds');
  });

  it('accepts an id of 128 characters and an eventTime of 0', () => {
    // Prepare
    const id = 'i'.repeat(128);

    // Act
    const result = validateTransaction({ ...valid, id, eventTime: 0 });

    // Assess
    expect(result).toEqual({
      ok: true,
      value: { branch: 'Kazan', currency: 'USD', amountCents: 1000, id, eventTime: 0 },
    });
  });

  it('reports the first problem in field order: branch, currency, amount, id, eventTime', () => {
    // Prepare
    const input = { branch: '', currency: 'usd', amount: '1', id: 3, eventTime: -1 };

    // Act
    const reasons = [
      validateTransaction(input),
      validateTransaction({ ...input, branch: 'Kazan' }),
      validateTransaction({ ...input, branch: 'Kazan', currency: 'USD' }),
      validateTransaction({ ...input, branch: 'Kazan', currency: 'USD', amount: 1 }),
      validateTransaction({ ...input, branch: 'Kazan', currency: 'USD', amount: 1, id: 'tx' }),
    ].map(reasonOf);

    // Assess
    expect(reasons).toEqual([
      'branch is empty',
      'currency must be three uppercase letters (ISO 4217), got "usd"',
      'amount must be a JSON number, got a string',
      'id must be a string, got a number',
      'eventTime must be a non-negative integer of epoch milliseconds',
    ]);
  });

  it('applies custom rules for branch length, amount bound and id length', () => {
    // Prepare
    const rules = { ...DEFAULT_RULES, maxBranchLength: 3, maxAbsAmount: 100, maxIdLength: 4 };

    // Act
    const branch = validateTransaction({ ...valid, branch: 'Kazan' }, rules);
    const amount = validateTransaction({ ...valid, branch: 'SPB', amount: 100.01 }, rules);
    const id = validateTransaction({ ...valid, branch: 'SPB', id: 'tx-10' }, rules);
    const accepted = validateTransaction({ ...valid, branch: 'SPB', amount: -100, id: 'tx-1' }, rules);

    // Assess
    expect(reasonOf(branch)).toBe('branch is 5 code points long, above the limit of 3');
    expect(reasonOf(amount)).toBe('amount 100.01 is out of bounds: its absolute value must be at most 100');
    expect(reasonOf(id)).toBe('id must be 1 to 4 code points long, got 5');
    expect(accepted).toEqual({
      ok: true,
      value: { branch: 'SPB', currency: 'USD', amountCents: -10_000, id: 'tx-1' },
    });
  });
});

describe('validateTransaction: baseAmount', () => {
  const deal = { branch: 'Kazan', currency: 'USD', amount: -150 };

  it.each([
    [14250, 14250],
    [9000.5, 9000.5],
    [0.01, 0.01],
    // |amount| × 10,000 at the amount's own bound passes: the rule allows any rate up to 10,000.
    [1e16, 1e16],
    [123456789012.34 * 1e4, 1234567890123400],
  ])('takes a baseAmount of %s', (baseAmount, expected) => {
    // Act
    const result = validateTransaction({ ...deal, baseAmount });

    // Assess
    expect(result).toEqual({
      ok: true,
      value: { branch: 'Kazan', currency: 'USD', amountCents: -15000, baseAmount: expected },
    });
  });

  it.each([
    ['9000', 'baseAmount must be a JSON number, got a string'],
    [null, 'baseAmount must be a JSON number, got null'],
    [Number.POSITIVE_INFINITY, 'baseAmount is not a finite number'],
    [0, 'baseAmount 0 must be positive'],
    [-0, 'baseAmount 0 must be positive'],
    [-14250, 'baseAmount -14250 must be positive'],
    [1.234, 'baseAmount 1.234 has more than 2 decimal places'],
    [1e-7, 'baseAmount 1e-7 has more than 2 decimal places'],
    [1e16 + 2, 'baseAmount 10000000000000002 is out of bounds: it must be at most 10000000000000000'],
    [
      1234567890123456,
      'baseAmount 1234567890123456 has more than 15 significant digits, more than a JSON number carries exactly',
    ],
  ])('sets a deal with baseAmount %s aside: %s', (baseAmount, reason) => {
    // Act
    const result = validateTransaction({ ...deal, baseAmount });

    // Assess
    expect(reasonOf(result)).toBe(reason);
  });
});
