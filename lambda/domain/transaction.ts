import { toCents } from './money.js';
import { escapeText, inspectText, quoteText } from './safe-text.js';

/** A currency deal as a branch reports it: positive amounts buy the currency, negative ones sell it. */
export interface Transaction {
  readonly branch: string;
  readonly currency: string;
  /** Amount in minor units (cents): exact, see money.ts. */
  readonly amountCents: number;
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
}

export const DEFAULT_RULES: ValidationRules = {
  maxBranchLength: 64,
  // A trillion units covers the largest single deal a branch books in any currency, RUB included,
  // and keeps cents (1e14) well inside the exact integer range of a double.
  maxAbsAmount: 1_000_000_000_000,
  maxValueBytes: 65_536,
  maxIdLength: 128,
};

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

/** Validates an already parsed JSON value against the transaction schema. */
export function validateTransaction(input: unknown, rules: ValidationRules = DEFAULT_RULES): Validation {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return reject(`value must be a JSON object, got ${describeType(input)}`);
  }
  const record = input as Record<string, unknown>;

  const { branch, currency, amount, id, eventTime } = record;
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
