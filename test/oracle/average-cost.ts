/**
 * The test oracle of the financial result (issue 20): weighted average cost folded deal by deal in
 * integer kopecks (BigInt), written from the rule, not from the SQL it checks
 * (db/migrations/1764000000006). Not production code: nothing outside test/ imports it.
 */

/** One position's result state; every amount in cents / kopecks. */
export interface ResultState {
  /** Q, the position. */
  readonly position: bigint;
  /** C, its cost in the base currency, signed like Q. */
  readonly cost: bigint;
  /** R, realized since the result was last known from flat. */
  readonly realized: bigint;
  /** Σb since then. */
  readonly baseFlow: bigint;
  /** Foreign-currency deals without baseAmount since the position was last flat: the result is unknown. */
  readonly dealsWithoutBase: number;
  /** Trade time (epoch ms) of the deal that made an unknown position flat; undefined: since the start. */
  readonly resultSince: number | undefined;
}

export interface OracleDeal {
  readonly amountCents: bigint;
  /** Positive, in kopecks; undefined when the deal has no baseAmount. */
  readonly baseCents: bigint | undefined;
  readonly tradeTime: number;
}

export const FLAT: ResultState = {
  position: 0n,
  cost: 0n,
  realized: 0n,
  baseFlow: 0n,
  dealsWithoutBase: 0,
  resultSince: undefined,
};

const abs = (x: bigint): bigint => (x < 0n ? -x : x);
const sign = (x: bigint): bigint => (x < 0n ? -1n : x > 0n ? 1n : 0n);

/** round(a · n / d) to the unit, half away from zero, for n ≥ 0 and d > 0. */
export function prorate(a: bigint, n: bigint, d: bigint): bigint {
  return sign(a) * ((2n * abs(a) * n + d) / (2n * d));
}

/**
 * One deal folded into a position. `inBaseCurrency`: the deal's own currency is the base currency, so
 * its b is its amount and its result 0. Returns the new state and the result the deal realized
 * (undefined while the position's cost is unknown).
 */
export function foldDeal(
  state: ResultState,
  deal: OracleDeal,
  inBaseCurrency = false,
): { state: ResultState; realized: bigint | undefined } {
  const q = deal.amountCents;
  const b = inBaseCurrency ? q : deal.baseCents === undefined ? undefined : sign(q) * deal.baseCents;
  const unknown = state.dealsWithoutBase + (b === undefined ? 1 : 0);
  if (unknown > 0 || b === undefined) {
    const position = state.position + q;
    if (position === 0n) return { state: { ...FLAT, resultSince: deal.tradeTime }, realized: undefined };
    return { state: { ...state, position, dealsWithoutBase: unknown }, realized: undefined };
  }
  const { position: Q, cost: C } = state;
  if (Q === 0n || sign(Q) === sign(q)) {
    return {
      state: { ...state, position: Q + q, cost: C + b, baseFlow: state.baseFlow + b },
      realized: 0n,
    };
  }
  // min(|q|, |Q|), written out: Math.min takes no bigint.
  const closesAll = abs(q) >= abs(Q);
  const x = closesAll ? abs(Q) : abs(q);
  const c = x === abs(Q) ? C : prorate(C, x, abs(Q));
  const bx = x === abs(q) ? b : prorate(b, x, abs(q));
  const realized = -bx - c;
  return {
    state: {
      ...state,
      position: Q + q,
      cost: C - c + (b - bx),
      realized: state.realized + realized,
      baseFlow: state.baseFlow + b,
    },
    realized,
  };
}

/** The deals folded in order from `start`. */
export function foldDeals(deals: readonly OracleDeal[], inBaseCurrency = false, start = FLAT): ResultState {
  return deals.reduce((state, deal) => foldDeal(state, deal, inBaseCurrency).state, start);
}

/** Unrealized result at `rate` given as an exact decimal string (fx_rate has up to 10 decimals). */
export function unrealized(state: ResultState, rate: string): bigint {
  const [whole = '0', fraction = ''] = rate.split('.');
  const scale = 10n ** BigInt(fraction.length);
  const rateScaled = BigInt(whole + fraction);
  // Q (cents) × rate, in kopecks rounded half away from zero.
  return prorate(state.position, rateScaled, scale) - state.cost;
}
