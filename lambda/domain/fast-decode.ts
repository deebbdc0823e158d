/**
 * The hot path of the aggregator: a record value in the producer's canonical shape, recognised by a
 * byte scan instead of UTF-8 decoding + JSON.parse + validation. Anything the scan is not certain of
 * goes to decodeTransaction, so the outcome (value or reason) is the plain path's by construction.
 *
 * Canonical shape: one flat JSON object without whitespace whose keys are among id, branch,
 * currency, amount, baseAmount and eventTime, each at most once; strings of printable ASCII without
 * escapes; amount matching -?(0|[1-9]\d{0,12})(\.\d{1,2})?, baseAmount the same without the minus and
 * not zero; eventTime a plain integer of at most 15 digits;
 * and every validation rule met. That is what JSON.stringify makes of a GeneratedTransaction.
 *
 * Measured before it was written (10,000 producer values of ~110 bytes, Node 20, 2-core EPYC,
 * best of 7): decodeTransaction ~675 ns a record, of which JSON.parse and TextDecoder are most.
 * A first scan (keys read as strings and compared, branch names interned by hash) took ~300 ns; its
 * profile showed the key comparisons and per-byte range checks on top, hence the byte-class table,
 * whole-key literals and names recognised by one byte comparison: ~235-255 ns. Building the id
 * string was ~70 ns of that (A/B, same process), and aggregation never reads the id, hence
 * decodeDealFast. bench/handler-throughput/ measures the decoders again in every benchmark run.
 */
import {
  DEFAULT_RULES,
  decodeTransaction,
  type Transaction,
  type Validation,
  type ValidationRules,
} from './transaction.js';

const QUOTE = 0x22;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const MINUS = 0x2d;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
const SPACE = 0x20;
const LETTER_A = 0x41;

// Byte classes, one table load per byte instead of a chain of comparisons.
const PLAIN_TEXT = 1; // printable ASCII but `"` and `\`: a string byte that needs no decoding
const DIGIT = 2;
const UPPER = 4 | PLAIN_TEXT;
const BYTE_CLASS = new Uint8Array(256);
for (let byte = 0x20; byte <= 0x7e; byte++) BYTE_CLASS[byte] = PLAIN_TEXT;
BYTE_CLASS[0x22] = 0;
BYTE_CLASS[0x5c] = 0;
for (let byte = 0x30; byte <= 0x39; byte++) BYTE_CLASS[byte] = DIGIT | PLAIN_TEXT;
for (let byte = 0x41; byte <= 0x5a; byte++) BYTE_CLASS[byte] = UPPER;

// Fields as bits, so that a duplicate key is seen and sent to the plain path. (JSON.parse keeps the
// last value; doing the same here would be right too, but the producer never writes duplicates.)
const ID = 1;
const BRANCH = 2;
const CURRENCY = 4;
const AMOUNT = 8;
const EVENT_TIME = 16;
const BASE_AMOUNT = 32;
const REQUIRED = BRANCH | CURRENCY | AMOUNT;

/** Each known key with its quotes and colon, the bytes that follow the opening quote. */
const KEYS = {
  id: Buffer.from('id":'),
  branch: Buffer.from('branch":'),
  currency: Buffer.from('currency":'),
  amount: Buffer.from('amount":'),
  eventTime: Buffer.from('eventTime":'),
  baseAmount: Buffer.from('baseAmount":'),
};

// More integer digits than this, or an eventTime longer than this, goes to the plain path: 13 integer
// digits and 2 decimals are 15 significant digits, which a double carries exactly (see money.ts), and
// a 15-digit integer is a safe integer.
const MAX_AMOUNT_INTEGER_DIGITS = 13;
const MAX_EVENT_TIME_DIGITS = 15;

/** Whether `bytes` holds `literal` at `start`. */
function holds(bytes: Uint8Array, start: number, literal: Uint8Array): boolean {
  if (start + literal.length > bytes.length) return false;
  for (let i = 0; i < literal.length; i++) {
    if (bytes[start + i] !== literal[i]) return false;
  }
  return true;
}

/**
 * Cents of an unsigned amount (0|[1-9]\d{0,12})(\.\d{1,2})? at `start`, and where it ends; undefined
 * for anything else (an exponent, more decimals or digits, leading zeros), which is the plain path's.
 * At most 15 digits, so the cents are an exact integer and cents / 100 is the double JSON.parse gives.
 */
let scannedEnd = 0;
function scanUnsignedCents(bytes: Uint8Array, start: number, length: number): number | undefined {
  let pos = start;
  let whole = 0;
  while (pos < length && (BYTE_CLASS[bytes[pos] as number] as number) & DIGIT) {
    whole = whole * 10 + ((bytes[pos] as number) - DIGIT_0);
    pos++;
  }
  const digits = pos - start;
  if (digits === 0 || digits > MAX_AMOUNT_INTEGER_DIGITS) return undefined;
  if (digits > 1 && bytes[start] === DIGIT_0) return undefined;
  let fraction = 0;
  if (bytes[pos] === DOT) {
    pos++;
    if (pos >= length || !((BYTE_CLASS[bytes[pos] as number] as number) & DIGIT)) return undefined;
    fraction = ((bytes[pos] as number) - DIGIT_0) * 10;
    pos++;
    if (pos < length && (BYTE_CLASS[bytes[pos] as number] as number) & DIGIT) {
      fraction += (bytes[pos] as number) - DIGIT_0;
      pos++;
    }
  }
  scannedEnd = pos;
  return whole * 100 + fraction;
}

/** Index of the first byte from `start` on that is not plain string text. */
function plainTextEnd(bytes: Uint8Array, start: number): number {
  let i = start;
  while (i < bytes.length && (BYTE_CLASS[bytes[i] as number] as number) & PLAIN_TEXT) i++;
  return i;
}

function asciiText(bytes: Uint8Array, start: number, end: number): string {
  // Latin-1 decoding is native, and for ASCII bytes it is the same text as UTF-8.
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return buffer.toString('latin1', start, end);
}

// Currency codes are three letters A–Z, so a table of 26³ slots holds every one there can be.
const currencies: (string | undefined)[] = new Array(26 * 26 * 26).fill(undefined);

// Branch names repeat on every record. Interning them saves a string per record, and a known name is
// recognised by one comparison of its bytes (which also proves them plain text). Bucketed by first
// byte; bounded, so that a stream of distinct names cannot grow it without end: past the bound, new
// names are decoded and not kept.
interface InternedName {
  /** The name's bytes followed by its closing quote. */
  readonly quoted: Uint8Array;
  readonly text: string;
}
const MAX_INTERNED_BRANCHES = 1_024;
const branchBuckets: InternedName[][] = Array.from({ length: 128 }, () => []);
let internedBranches = 0;

/**
 * The transaction a canonical value holds when it is certainly valid under `rules`; undefined when
 * the value is anything else (valid or not), for the plain path to decide. Exported for the tests.
 */
export function scanCanonicalTransaction(
  bytes: Uint8Array,
  rules: ValidationRules = DEFAULT_RULES,
): Transaction | undefined {
  return scan(bytes, rules, true);
}

/**
 * What aggregation takes from a transaction: the position it moves, by how much, what it cost in the
 * base currency and when it was traded (the result's fold and trade date).
 */
export type DealAmount = Pick<
  Transaction,
  'branch' | 'currency' | 'amountCents' | 'baseAmount' | 'eventTime'
>;

export type DealValidation =
  | { readonly ok: true; readonly value: DealAmount }
  | { readonly ok: false; readonly reason: string };

/**
 * The scan. `keepId` false checks the id as usual but does not build its string, which aggregation
 * never reads: measured, that string was 70 of the 250 ns a record.
 */
function scan(
  bytes: Uint8Array,
  rules: ValidationRules,
  keepId: boolean,
  length = bytes.length,
): Transaction | undefined {
  if (length === 0 || length > rules.maxValueBytes || bytes[0] !== OPEN_BRACE) return undefined;

  let seen = 0;
  let branch = '';
  let currency = '';
  let amountCents = 0;
  let amount = 0;
  let baseAmount: number | undefined;
  let id: string | undefined;
  let eventTime: number | undefined;

  let pos = 1;
  for (;;) {
    if (bytes[pos] !== QUOTE) return undefined;
    pos++;
    switch (bytes[pos]) {
      case 0x62: {
        if (holds(bytes, pos, KEYS.baseAmount)) {
          // baseAmount: positive, the amount's digits; the double JSON.parse would give.
          if (seen & BASE_AMOUNT) return undefined;
          seen |= BASE_AMOUNT;
          const cents = scanUnsignedCents(bytes, pos + KEYS.baseAmount.length, length);
          if (cents === undefined || cents === 0) return undefined;
          pos = scannedEnd;
          baseAmount = cents / 100;
          break;
        }
        // branch
        if (seen & BRANCH || !holds(bytes, pos, KEYS.branch)) return undefined;
        seen |= BRANCH;
        pos += KEYS.branch.length;
        if (bytes[pos] !== QUOTE) return undefined;
        const start = pos + 1;
        const first = bytes[start];
        if (first === undefined || first >= 128) return undefined;
        let known: InternedName | undefined;
        for (const name of branchBuckets[first] as InternedName[]) {
          if (holds(bytes, start, name.quoted)) {
            known = name;
            break;
          }
        }
        if (known !== undefined) {
          // Interned under some rules; the length rule is checked against these.
          if (known.text.length > rules.maxBranchLength) return undefined;
          branch = known.text;
          pos = start + known.quoted.length;
        } else {
          const end = plainTextEnd(bytes, start);
          if (bytes[end] !== QUOTE || end - start > rules.maxBranchLength) return undefined;
          // trim() would leave a name of spaces empty: the plain path rejects it.
          let blank = true;
          for (let i = start; i < end && blank; i++) blank = bytes[i] === SPACE;
          if (blank) return undefined;
          branch = asciiText(bytes, start, end);
          if (internedBranches < MAX_INTERNED_BRANCHES) {
            (branchBuckets[first] as InternedName[]).push({
              // A copy: Buffer's slice would share (and keep alive) the record's memory.
              quoted: Uint8Array.from(bytes.subarray(start, end + 1)),
              text: branch,
            });
            internedBranches++;
          }
          pos = end + 1;
        }
        break;
      }
      case 0x63: {
        // currency: exactly three letters A–Z
        if (seen & CURRENCY || !holds(bytes, pos, KEYS.currency)) return undefined;
        seen |= CURRENCY;
        pos += KEYS.currency.length;
        if (bytes[pos] !== QUOTE || bytes[pos + 4] !== QUOTE) return undefined;
        const a = bytes[pos + 1] as number;
        const b = bytes[pos + 2] as number;
        const c = bytes[pos + 3] as number;
        if (BYTE_CLASS[a] !== UPPER || BYTE_CLASS[b] !== UPPER || BYTE_CLASS[c] !== UPPER) return undefined;
        const slot = (a - LETTER_A) * 676 + (b - LETTER_A) * 26 + (c - LETTER_A);
        let text = currencies[slot];
        if (text === undefined) {
          text = asciiText(bytes, pos + 1, pos + 4);
          currencies[slot] = text;
        }
        currency = text;
        pos += 5;
        break;
      }
      case 0x61: {
        // amount: -?(0|[1-9]\d{0,12})(\.\d{1,2})? as integer cents; anything else (an exponent, more
        // decimals, leading zeros, a bare minus) goes to the plain path.
        if (seen & AMOUNT || !holds(bytes, pos, KEYS.amount)) return undefined;
        seen |= AMOUNT;
        pos += KEYS.amount.length;
        const negative = bytes[pos] === MINUS;
        if (negative) pos++;
        const cents = scanUnsignedCents(bytes, pos, length);
        if (cents === undefined) return undefined;
        pos = scannedEnd;
        // `0 - cents` turns -0 and -0.00 into +0, as toCents does.
        amountCents = negative ? 0 - cents : cents;
        // The division and JSON.parse both round the same exact decimal to the nearest double, so this
        // is the number the plain path checks against its bound.
        amount = amountCents / 100;
        break;
      }
      case 0x65: {
        // eventTime: a plain non-negative integer
        if (seen & EVENT_TIME || !holds(bytes, pos, KEYS.eventTime)) return undefined;
        seen |= EVENT_TIME;
        pos += KEYS.eventTime.length;
        const first = pos;
        let value = 0;
        while (pos < length && (BYTE_CLASS[bytes[pos] as number] as number) & DIGIT) {
          value = value * 10 + ((bytes[pos] as number) - DIGIT_0);
          pos++;
        }
        const digits = pos - first;
        if (digits === 0 || digits > MAX_EVENT_TIME_DIGITS) return undefined;
        if (digits > 1 && bytes[first] === DIGIT_0) return undefined;
        eventTime = value;
        break;
      }
      case 0x69: {
        // id: a non-empty string within the length rule
        if (seen & ID || !holds(bytes, pos, KEYS.id)) return undefined;
        seen |= ID;
        pos += KEYS.id.length;
        if (bytes[pos] !== QUOTE) return undefined;
        const start = pos + 1;
        const end = plainTextEnd(bytes, start);
        if (bytes[end] !== QUOTE || end === start || end - start > rules.maxIdLength) return undefined;
        id = keepId ? asciiText(bytes, start, end) : undefined;
        pos = end + 1;
        break;
      }
      default:
        // Any other key, valid or not, is for the plain path.
        return undefined;
    }

    const next = bytes[pos];
    if (next === COMMA) {
      pos++;
      continue;
    }
    if (next === CLOSE_BRACE && pos + 1 === length) break;
    return undefined;
  }

  if ((seen & REQUIRED) !== REQUIRED) return undefined;
  if (Math.abs(amount) > rules.maxAbsAmount) return undefined;

  if (baseAmount !== undefined && baseAmount > rules.maxBaseAmount) return undefined;

  // The same properties in the same order as validateTransaction builds them.
  const transaction: { -readonly [K in keyof Transaction]: Transaction[K] } = {
    branch,
    currency,
    amountCents,
  };
  if (baseAmount !== undefined) transaction.baseAmount = baseAmount;
  if (id !== undefined) transaction.id = id;
  if (eventTime !== undefined) transaction.eventTime = eventTime;
  return transaction;
}

/**
 * decodeTransaction with a fast path: the same result for every input (value or reason), at a
 * fraction of the cost for values in the producer's canonical shape.
 */
export function decodeTransactionFast(
  value: Uint8Array | undefined,
  rules: ValidationRules = DEFAULT_RULES,
): Validation {
  if (value !== undefined) {
    const transaction = scanCanonicalTransaction(value, rules);
    if (transaction !== undefined) return { ok: true, value: transaction };
  }
  return decodeTransaction(value, rules);
}

/**
 * The deal a value in the canonical shape holds when it is certainly valid; undefined for anything
 * else (the caller then asks decodeTransaction). For callers that decode values into a buffer of
 * their own: the value is bytes[0, length), and bytes[length] must be 0 (a byte no literal, digit or
 * string character matches) so that no comparison reads past the value into stale bytes.
 */
export function scanDeal(
  value: Uint8Array,
  rules: ValidationRules = DEFAULT_RULES,
  length = value.length,
): DealAmount | undefined {
  return scan(value, rules, false, length);
}

/**
 * decodeTransaction's decision, reason, branch, currency and amount for every input, without the
 * id and event time when the fast path takes the value: what aggregateBatch needs of a record.
 */
export function decodeDealFast(
  value: Uint8Array | undefined,
  rules: ValidationRules = DEFAULT_RULES,
): DealValidation {
  if (value !== undefined) {
    const deal = scan(value, rules, false);
    if (deal !== undefined) return { ok: true, value: deal };
  }
  return decodeTransaction(value, rules);
}
