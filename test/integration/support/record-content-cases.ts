import { seededRandom } from '../../../lambda/domain/generator.js';
import { DEFAULT_RULES } from '../../../lambda/domain/transaction.js';

/**
 * Record values of every kind a topic may hold — random bytes, damaged JSON, JSON of any shape, deals
 * with odd text and numbers — each with what the README's rules say must become of it, decided here
 * without the aggregator's code: the oracle of the property test. Seeded, so a failure is replayed
 * from its seed.
 */

/** What must become of a record: applied to a position, or set aside. */
export type Expected =
  | { readonly valid: true; readonly branch: string; readonly currency: string; readonly cents: bigint }
  | { readonly valid: false };

export interface RecordCase {
  /** Null for a tombstone. */
  readonly value: Buffer | null;
  readonly expected: Expected;
}

// The limits are configuration, defined once; the rules that use them are written here anew.
const {
  maxValueBytes: MAX_VALUE_BYTES,
  maxBranchLength: MAX_BRANCH_CODE_POINTS,
  maxIdLength: MAX_ID_CODE_POINTS,
  maxAbsAmount: MAX_ABS_AMOUNT,
} = DEFAULT_RULES;
const INVALID: Expected = { valid: false };
// Amounts at the edges of the rules: trailing zeros, more digits than a double holds, the bound, -0.
const AMOUNT_EDGES = [
  '12.300',
  '0.1000000000000000055511151231257827',
  '999999999999.99',
  '1000000000000.01',
  '-0',
  '-0.00',
];
// Event times valid and not: 0, now, negative, fractional, an exponent, around 2^53, beyond it.
const EVENT_TIME_TEXTS = [
  '0',
  '1764000000000',
  '-1',
  '1.5',
  '1e3',
  '9007199254740992',
  '9007199254740991',
  '17640000000000000000',
];

/** A field's JSON text and the JS value it parses to. */
interface Field {
  readonly json: string;
  readonly value: unknown;
}

export class RecordCases {
  private readonly random: () => number;
  private readonly branches: string[];
  /** Distinct texts a branch may be, all of them valid: a clean case picks among these. */
  private readonly validBranches = [
    ...['SPB', 'Kazan', 'SPB ', ' SPB', 'spb', 'Казань', 'ＳＰＢ', 'caf\u00e9', 'cafe\u0301'],
    ...['SPB\ufffd', '\u200b', '😀'.repeat(64), 'Sp"b\\'],
  ];
  /** Probability of an odd choice in the case being made: small in clean cases, large in bent ones. */
  private oddness = 0;

  constructor(readonly seed: number) {
    this.random = seededRandom(seed);
    this.branches = [
      ...['SPB', 'Kazan', 'Novosibirsk', 'Surgut', 'SPB ', ' SPB', 'spb', 'Казань', 'ＳＰＢ'],
      ...['caf\u00e9', 'cafe\u0301', 'SPB\ufffd', 'SPB\ud800', 'S\u0000PB', '\udc00', 'a\tb', 'x\u0085'],
      ...['', '   ', '\u00a0\u3000', '\ufeff', '\u200b', '\uffff', 'a'.repeat(64), 'a'.repeat(65)],
      ...['😀'.repeat(64), '😀'.repeat(65), 'Sp"b\\', '\u2028'],
      ...Array.from({ length: 40 }, () => this.text(1, 12)),
    ];
  }

  private chance(p: number): boolean {
    return this.random() < p;
  }

  private int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  private odd(): boolean {
    return this.chance(this.oddness);
  }

  private pick<T>(values: readonly T[]): T {
    return values[this.int(0, values.length - 1)] as T;
  }

  /** One code point, or a lone surrogate, from ranges chosen to hit every text rule. */
  private codePoint(): number {
    const roll = this.random();
    if (roll < 0.5) return this.int(0x20, 0x7e);
    if (roll < 0.56) return this.pick([this.int(0, 0x1f), 0x7f, this.int(0x80, 0x9f), 0]);
    if (roll < 0.7) return this.int(0xa0, 0x4ff);
    if (roll < 0.8) return this.int(0x3000, 0x9fff);
    if (roll < 0.9) return this.int(0x1f300, 0x1faff);
    if (roll < 0.95) return this.int(0xd800, 0xdfff);
    return this.pick([0xfffd, 0xfffe, 0xfeff, 0x2028, 0x10ffff, 0x20, 0xa0]);
  }

  /** Random text of `min` to `max` code points (a lone surrogate counting as one). */
  text(min: number, max: number): string {
    let text = '';
    for (let n = this.int(min, max); n > 0; n--) text += String.fromCodePoint(this.codePoint());
    return text;
  }

  /** JSON text of a string: what must be escaped is, and now and then a letter that need not be. */
  private stringJson(text: string): string {
    let json = '"';
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      const char = text[i] as string;
      if (char === '"' || char === '\\') json += `\\${char}`;
      else if (unit < 0x20 || (unit >= 0xd800 && unit < 0xe000) || this.chance(0.05)) {
        const hex = unit.toString(16).padStart(4, '0');
        json += `\\u${this.chance(0.5) ? hex : hex.toUpperCase()}`;
      } else json += char;
    }
    return `${json}"`;
  }

  private string(text: string): Field {
    return { json: this.stringJson(text), value: text };
  }

  /** A JSON number's text in one of many spellings, and the double it parses to. */
  private numberField(): Field {
    const sign = this.chance(0.3) ? '-' : '';
    const whole = this.pick([
      '0',
      String(this.int(1, 9)),
      String(this.int(1, 99_999)),
      `${this.int(1, 9)}${'0'.repeat(this.int(9, 14))}`,
    ]);
    const decimals = this.chance(0.6)
      ? `.${String(this.int(0, 99_999)).slice(0, this.int(1, this.odd() ? 5 : 2))}`
      : '';
    let json = `${sign}${whole}${decimals}`;
    const roll = this.odd() ? this.random() : 1;
    if (roll < 0.1) json += `e${this.pick(['', '-', '+'])}${this.int(0, 3)}`;
    else if (roll < 0.15) json += this.pick(['e308', 'E999', 'e-400', 'e-7']);
    // Digits past what a double holds: after a decimal point, so that no integer gets a leading zero.
    else if (roll < 0.17 && decimals !== '') json += '0000000000000000001';
    else if (roll < 0.2) json = this.pick(AMOUNT_EDGES);
    return { json, value: Number(json) };
  }

  /** Any JSON value, nested up to `depth`, sometimes very deep or with a long string. */
  private anyJson(depth: number): Field {
    const roll = this.random();
    if (roll < 0.01) {
      const levels = this.int(100, 5_000);
      const open = this.chance(0.5) ? '[' : '{"a":';
      const close = open === '[' ? ']' : '}';
      return { json: `${open.repeat(levels)}1${close.repeat(levels)}`, value: open === '[' ? [] : {} };
    }
    if (roll < 0.02) return this.string('x'.repeat(this.int(1_000, 70_000)));
    if (depth <= 0 || roll < 0.5) {
      return this.pick<() => Field>([
        () => this.numberField(),
        () => this.string(this.text(0, 20)),
        () => ({ json: 'true', value: true }),
        () => ({ json: 'null', value: null }),
      ])();
    }
    const items = Array.from({ length: this.int(0, 4) }, () => this.anyJson(depth - 1));
    if (this.chance(0.5)) return { json: `[${items.map((i) => i.json).join(',')}]`, value: [] };
    return { json: `{${items.map((i, n) => `${this.stringJson(`k${n}`)}:${i.json}`).join(',')}}`, value: {} };
  }

  private branchField(): Field {
    if (!this.odd()) return this.string(this.pick(this.validBranches));
    if (this.chance(0.1)) return this.anyJson(1);
    return this.string(this.chance(0.1) ? this.text(0, 80) : this.pick(this.branches));
  }

  private currencyField(): Field {
    if (!this.odd()) return this.string(this.pick(['USD', 'EUR', 'RUB', 'GBP', 'CNY']));
    if (this.chance(0.1)) return this.anyJson(1);
    return this.string(this.pick(['USD', 'usd', 'US', 'USDT', 'ÜSD', 'U\u0000S', 'USD\n']));
  }

  private amountField(): Field {
    if (this.odd() && this.chance(0.1))
      return this.pick<() => Field>([() => this.string('10'), () => this.anyJson(1)])();
    return this.numberField();
  }

  private idField(): Field {
    if (!this.odd()) return this.string(`tx-${this.int(0, 1e9).toString(36)}`);
    if (this.chance(0.1)) return this.anyJson(1);
    return this.string(this.chance(0.1) ? 'i'.repeat(this.int(127, 130)) : this.text(0, 20));
  }

  private eventTimeField(): Field {
    if (!this.odd()) return { json: '1764000000000', value: 1_764_000_000_000 };
    if (this.chance(0.1)) return this.anyJson(1);
    const json = this.pick(EVENT_TIME_TEXTS);
    return { json, value: Number(json) };
  }

  private fieldOf(key: string): Field {
    if (key === 'branch') return this.branchField();
    if (key === 'currency') return this.currencyField();
    if (key === 'amount') return this.amountField();
    return key === 'id' ? this.idField() : this.eventTimeField();
  }

  /** A deal object's members, as [key, field] in the order written; keys may repeat. */
  private members(): [string, Field][] {
    const members: [string, Field][] = [];
    for (const key of ['branch', 'currency', 'amount']) {
      if (!(this.odd() && this.chance(0.1))) members.push([key, this.fieldOf(key)]);
    }
    for (const key of ['id', 'eventTime']) if (this.chance(0.5)) members.push([key, this.fieldOf(key)]);
    if (this.odd()) members.push([this.pick(['note', '__proto__', 'Branch', 'amount ']), this.anyJson(3)]);
    if (this.odd() && this.chance(0.3)) {
      const again = this.pick(['branch', 'currency', 'amount', 'id', 'eventTime']);
      members.push([again, this.fieldOf(again)]);
    }
    for (let i = members.length - 1; i > 0; i--) {
      if (this.chance(0.2)) {
        const j = this.int(0, i);
        [members[i], members[j]] = [members[j] as [string, Field], members[i] as [string, Field]];
      }
    }
    return members;
  }

  private space(): string {
    return !this.odd() || this.chance(0.7) ? '' : this.pick([' ', '\n', '\t', '\r\n  ']);
  }

  /** The next record value and what must become of it. */
  next(): RecordCase {
    this.oddness = this.chance(0.55) ? 0.01 : 0.6;
    const roll = this.random();
    if (roll < 0.02) return { value: null, expected: INVALID };
    if (roll < 0.1) {
      const bytes = Buffer.from(Array.from({ length: this.int(0, 120) }, () => this.int(0, 255)));
      // Confluent's wire format: a 0x00 magic byte and a schema id before the Avro bytes.
      if (bytes.length > 0 && this.chance(0.3)) bytes[0] = 0;
      return { value: bytes, expected: INVALID };
    }
    if (roll < 0.13) {
      const top = this.anyJson(2);
      // No branch in it (its objects' keys are k0, k1 … and a), so never a deal.
      return { value: Buffer.from(top.json), expected: INVALID };
    }
    const members = this.members();
    const s = () => this.space();
    const text = `${s()}{${members.map(([k, f]) => `${s()}${this.stringJson(k)}${s()}:${s()}${f.json}${s()}`).join(',')}}${s()}`;
    let value = Buffer.from(text);
    let damaged = false;
    const damage = this.odd() ? this.random() : 1;
    if (damage < 0.02) {
      value = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), value]);
      damaged = true;
    } else if (damage < 0.04) {
      const at = this.int(0, value.length);
      const bad = Buffer.from(this.pick([[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82]]));
      value = Buffer.concat([value.subarray(0, at), bad, value.subarray(at)]);
      damaged = true;
    } else if (damage < 0.06) {
      // Cut before the object's closing brace: whitespace after it is no damage.
      value = value.subarray(0, this.int(0, value.lastIndexOf('}') - 1));
      damaged = true;
    }
    const expected = damaged || value.length > MAX_VALUE_BYTES ? INVALID : this.objectOutcome(members);
    return { value, expected };
  }

  /** The README's rules applied to an object's members (the last of a repeated key counts). */
  private objectOutcome(members: readonly [string, Field][]): Expected {
    const last = new Map(members.map(([key, field]) => [key, field.value]));
    const { branch, currency, amount, id, eventTime } = Object.fromEntries(last) as Record<string, unknown>;
    if (typeof branch !== 'string' || /^\s*$/u.test(branch) || /\p{Cc}|\p{Cs}/u.test(branch)) return INVALID;
    if ([...branch].length > MAX_BRANCH_CODE_POINTS) return INVALID;
    if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) return INVALID;
    if (typeof amount !== 'number' || !Number.isFinite(amount) || Math.abs(amount) > MAX_ABS_AMOUNT)
      return INVALID;
    // Cents exactly when the decimal with two places nearest to the double parses back to it.
    const cents = Math.round(amount * 100);
    if (cents / 100 !== amount) return INVALID;
    if (
      last.has('id') &&
      (typeof id !== 'string' || [...id].length < 1 || [...id].length > MAX_ID_CODE_POINTS)
    )
      return INVALID;
    if (
      last.has('eventTime') &&
      (typeof eventTime !== 'number' || !Number.isSafeInteger(eventTime) || eventTime < 0)
    )
      return INVALID;
    return { valid: true, branch, currency, cents: BigInt(cents) };
  }
}
