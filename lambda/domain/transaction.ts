import { CENT_DIGITS, toCents } from './money.js';
import { escapeText, inspectText, quoteText } from './safe-text.js';

/** A currency deal as a branch reports it: positive amounts buy the currency, negative ones sell it. */
export interface Transaction {
  readonly branch: string;
  readonly currency: string;
  /** Amount in minor units (cents): exact, see money.ts. */
  readonly amountCents: number;
  /**
   * What the deal paid (a buy) or received (a sell) in the treasury's base currency, positive, in base
   * units: a double whose shortest text is the exact decimal (at most 2 decimals and 15 significant
   * digits, see baseAmountProblem), so String(baseAmount) is what the producer wrote. Optional: the
   * tutorial's deals have none, and their position's result is then unknown (db/migrations/…0006).
   */
  readonly baseAmount?: number;
  /** Unique id the producer gives each deal; optional because the tutorial's records have none. */
  readonly id?: string;
  /** When the deal happened, epoch milliseconds; optional for the same reason. */
  readonly eventTime?: number;
}

export interface ValidationRules {
  /** Longest branch name accepted, in code points (as PostgreSQL's length() counts). @default 64 */
  readonly maxBranchLength: number;
  /** Largest absolute amount accepted, in currency units. @default 1_000_000_000_000 */
  readonly maxAbsAmount: number;
  /** Largest record value accepted, in bytes. @default 65_536 */
  readonly maxValueBytes: number;
  /** Longest transaction id accepted, in code points. @default 128 */
  readonly maxIdLength: number;
  /** Largest baseAmount accepted, in base-currency units. @default 10_000_000_000_000_000 */
  readonly maxBaseAmount: number;
}

export const DEFAULT_RULES: ValidationRules = {
  maxBranchLength: 64,
  // A trillion units covers the largest single deal a branch books in any currency, RUB included,
  // and keeps cents (1e14) well inside the exact integer range of a double.
  maxAbsAmount: 1_000_000_000_000,
  maxValueBytes: 65_536,
  maxIdLength: 128,
  // The largest amount at 10,000 base units a unit: a rate no currency reaches against the rouble.
  maxBaseAmount: 10_000_000_000_000_000,
};

/**
 * Above 15 significant digits two decimal texts can parse to the same double, so the base amount
 * would silently change: such a value is refused rather than rounded. Every amount the amount rule
 * accepts has at most 15 of them, so |amount| × 10,000 always passes.
 */
export const MAX_BASE_AMOUNT_SIGNIFICANT_DIGITS = 15;

export type Validation =
  | { readonly ok: true; readonly value: Transaction }
  | { readonly ok: false; readonly reason: string };

const CURRENCY = /^[A-Z]{3}$/;
// V8's messages are under 100 code points but for the excerpt of input they quote.
const MAX_PARSER_MESSAGE_CODE_POINTS = 160;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function reject(reason: string): Validation {
  return { ok: false, reason };
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/**
 * The branch is the position's key and is stored as it is written: no trimming, no Unicode
 * normalisation, so the key aggregated on is exactly the text PostgreSQL stores and compares. Hence
 * the rules: not blank, text PostgreSQL can store (inspectText), bounded in code points.
 */
function branchProblem(branch: string, rules: ValidationRules): string | undefined {
  if (branch.trim().length === 0) return 'branch is empty';
  const inspection = inspectText(branch);
  if (!inspection.ok) return `branch ${inspection.problem}`;
  if (inspection.codePoints > rules.maxBranchLength) {
    return `branch is ${inspection.codePoints} code points long, above the limit of ${rules.maxBranchLength}`;
  }
  return undefined;
}

/** Why a JSON value is no baseAmount under `rules`, or undefined when it is one. */
function baseAmountProblem(baseAmount: unknown, rules: ValidationRules): string | undefined {
  if (typeof baseAmount !== 'number')
    return `baseAmount must be a JSON number, got ${describeType(baseAmount)}`;
  if (!Number.isFinite(baseAmount)) return 'baseAmount is not a finite number';
  if (!(baseAmount > 0)) return `baseAmount ${baseAmount} must be positive`;
  if (baseAmount > rules.maxBaseAmount) {
    return `baseAmount ${baseAmount} is out of bounds: it must be at most ${rules.maxBaseAmount}`;
  }
  // Counted on the number's shortest text, as amount's decimals are: 9000.50 and 9.0005e3 are one value.
  const text = String(baseAmount);
  const dot = text.indexOf('.');
  if (text.includes('e') || (dot >= 0 && text.length - dot - 1 > CENT_DIGITS)) {
    return `baseAmount ${baseAmount} has more than ${CENT_DIGITS} decimal places`;
  }
  const significant = text.replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length;
  if (significant > MAX_BASE_AMOUNT_SIGNIFICANT_DIGITS) {
    return (
      `baseAmount ${baseAmount} has more than ${MAX_BASE_AMOUNT_SIGNIFICANT_DIGITS} significant digits, ` +
      'more than a JSON number carries exactly'
    );
  }
  return undefined;
}

/** Validates an already parsed JSON value against the transaction schema. */
export function validateTransaction(input: unknown, rules: ValidationRules = DEFAULT_RULES): Validation {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return reject(`value must be a JSON object, got ${describeType(input)}`);
  }
  const record = input as Record<string, unknown>;

  const { branch, currency, amount, baseAmount, id, eventTime } = record;
  if (branch === undefined) return reject('branch is missing');
  if (typeof branch !== 'string') return reject(`branch must be a string, got ${describeType(branch)}`);
  const problem = branchProblem(branch, rules);
  if (problem !== undefined) return reject(problem);

  if (currency === undefined) return reject('currency is missing');
  if (typeof currency !== 'string') return reject(`currency must be a string, got ${describeType(currency)}`);
  if (!CURRENCY.test(currency)) {
    return reject(`currency must be three uppercase letters (ISO 4217), got ${quoteText(currency)}`);
  }

  if (amount === undefined) return reject('amount is missing');
  if (typeof amount !== 'number') return reject(`amount must be a JSON number, got ${describeType(amount)}`);
  if (!Number.isFinite(amount)) return reject('amount is not a finite number');
  if (Math.abs(amount) > rules.maxAbsAmount) {
    return reject(
      `amount ${amount} is out of bounds: its absolute value must be at most ${rules.maxAbsAmount}`,
    );
  }
  const amountCents = toCents(amount);
  if (amountCents === undefined) return reject(`amount ${amount} has more than 2 decimal places`);
  if (baseAmount !== undefined) {
    const baseProblem = baseAmountProblem(baseAmount, rules);
    if (baseProblem !== undefined) return reject(baseProblem);
  }

  if (id !== undefined) {
    if (typeof id !== 'string') return reject(`id must be a string, got ${describeType(id)}`);
    const length = codePointLength(id);
    if (length === 0 || length > rules.maxIdLength) {
      return reject(`id must be 1 to ${rules.maxIdLength} code points long, got ${length}`);
    }
  }
  if (eventTime !== undefined) {
    if (typeof eventTime !== 'number' || !Number.isSafeInteger(eventTime) || eventTime < 0) {
      return reject('eventTime must be a non-negative integer of epoch milliseconds');
    }
  }

  const value: Transaction = { branch, currency, amountCents };
  if (baseAmount !== undefined) Object.assign(value, { baseAmount });
  if (id !== undefined) Object.assign(value, { id });
  if (eventTime !== undefined) Object.assign(value, { eventTime });
  return { ok: true, value };
}

/**
 * Decodes a record value (the bytes a producer wrote) into a transaction, or says precisely why not.
 * `undefined` stands for a record with no value at all (a tombstone).
 */
export function decodeTransaction(
  value: Uint8Array | undefined,
  rules: ValidationRules = DEFAULT_RULES,
): Validation {
  if (value === undefined) return reject('record has no value (tombstone)');
  if (value.length === 0) return reject('value is empty');
  if (value.length > rules.maxValueBytes) {
    return reject(`value is ${value.length} bytes, above the limit of ${rules.maxValueBytes}`);
  }
  // RFC 8259 §8.1: JSON text exchanged between systems must not begin with a BOM. A producer that adds
  // one writes something else than its peers; the value is set aside rather than guessed at.
  if (value[0] === 0xef && value[1] === 0xbb && value[2] === 0xbf) {
    return reject('value starts with a UTF-8 byte order mark, which JSON text must not (RFC 8259 §8.1)');
  }
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    return reject('value is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // The parser's message quotes the input, U+0000 included: it is input, and escaped as such.
    return reject(
      `value is not JSON: ${escapeText((error as Error).message, MAX_PARSER_MESSAGE_CODE_POINTS)}`,
    );
  }
  return validateTransaction(parsed, rules);
}
