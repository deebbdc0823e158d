/**
 * Money is carried as integer minor units (cents) so that sums are exact: adding integers below 2^53
 * in a double is exact, adding 0.1 + 0.2 is not. Amounts above that range are not accepted (see
 * MAX_EXACT_CENTS), and running sums that could outgrow it spill into a bigint (see CentsSum).
 */

/** Two decimal places: the precision the treasury books positions in. */
export const CENT_DIGITS = 2;

/**
 * The largest cents a double carries exactly from its shortest text: 15 significant digits. Beyond
 * that two different decimal texts can parse to the same double (90071992547409.91 and .90), so the
 * amount would silently change.
 */
export const MAX_EXACT_CENTS = 999_999_999_999_999;

/**
 * Converts a JSON number to cents when it has at most two decimals.
 * The decimals are read from the number's shortest round-trip text (what `String(x)` prints), so
 * `12.30` and `12.3` are the same amount and `0.1 + 0.2` (0.30000000000000004) is rejected.
 * Returns undefined when the number has more than two decimals or is not finite.
 */
export function toCents(amount: number): number | undefined {
  if (!Number.isFinite(amount)) return undefined;
  const text = String(Math.abs(amount));
  if (text.includes('e')) {
    // Shortest text uses an exponent only below 1e-6 or at 1e21 and above: both fail the checks
    // that follow (too many decimals, or out of any sane bound), except zero which never gets here.
    return undefined;
  }
  const dot = text.indexOf('.');
  const whole = dot < 0 ? text : text.slice(0, dot);
  const fraction = dot < 0 ? '' : text.slice(dot + 1);
  if (fraction.length > CENT_DIGITS) return undefined;
  const cents = Number(whole) * 100 + Number(fraction.padEnd(CENT_DIGITS, '0'));
  if (!(Math.abs(cents) <= MAX_EXACT_CENTS)) return undefined;
  return amount < 0 ? -cents : cents;
}

/** Formats cents as a decimal string PostgreSQL's numeric accepts exactly: -1234 → "-12.34". */
export function formatCents(cents: number | bigint): string {
  const negative = cents < 0;
  const digits = (negative ? -BigInt(cents) : BigInt(cents)).toString().padStart(CENT_DIGITS + 1, '0');
  const whole = digits.slice(0, -CENT_DIGITS);
  const fraction = digits.slice(-CENT_DIGITS);
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

/** Parses a decimal string with at most two decimals (as PostgreSQL returns numeric) into bigint cents. */
export function parseCents(text: string): bigint {
  const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!match) throw new Error(`not a decimal amount with at most ${CENT_DIGITS} decimals: ${text}`);
  const [, sign, whole = '0', fraction = ''] = match;
  const cents = BigInt(whole) * 100n + BigInt(fraction.padEnd(CENT_DIGITS, '0'));
  return sign === '-' ? -cents : cents;
}

// Above this a running number sum is moved into the bigint part, so that the next addition of an
// amount (itself at most MAX_EXACT_CENTS) cannot leave the range where doubles are exact integers.
const SPILL_THRESHOLD = 2 ** 52;

/**
 * An exact running sum of cents. The hot path adds plain numbers; only sums beyond 2^52 touch bigint,
 * which in practice never happens for a single batch but keeps the result exact if it does.
 */
export class CentsSum {
  private small = 0;
  private big = 0n;

  add(cents: number): void {
    this.small += cents;
    if (this.small > SPILL_THRESHOLD || this.small < -SPILL_THRESHOLD) {
      this.big += BigInt(this.small);
      this.small = 0;
    }
  }

  addSum(other: CentsSum): void {
    this.big += other.big;
    this.add(other.small);
  }

  toBigInt(): bigint {
    return this.big + BigInt(this.small);
  }

  toDecimal(): string {
    return formatCents(this.toBigInt());
  }
}
