import pg from 'pg';
import { REFERENCE_RATES } from '../../contracts/producer.js';
import { seededRandom } from '../../lambda/domain/generator.js';

/**
 * Example exchange rates that move during a local run, so that the unrealized result (position_result,
 * the dashboard's result panel) moves too: every 10 s each example currency gets a new fx_rate row, a
 * random walk of its log around the producer's reference rate (contracts/producer.ts), as an official
 * rate would move over days, hurried. Rates are rounded to 4 places, as the Bank of Russia publishes them.
 */
export const RATE_MOVE_EVERY_MS = 10_000;
// Per move: a normal step of this deviation, pulled back towards the reference by this fraction.
const STEP = 0.002;
const PULL = 0.05;

/** The next rate of each currency, from the walk's current state (log of rate / reference). */
export function nextRates(walk: Map<string, number>, random: () => number): Map<string, string> {
  const rates = new Map<string, string>();
  for (const [currency, reference] of Object.entries(REFERENCE_RATES)) {
    const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const state = (walk.get(currency) ?? 0) * (1 - PULL) + normal * STEP;
    walk.set(currency, state);
    rates.set(currency, (reference * Math.exp(state)).toFixed(4));
  }
  return rates;
}

/** Starts moving the rates; the returned function stops and waits for the last move. */
export function moveExampleRates(
  databaseUrl: string,
  onError: (error: unknown) => void,
): () => Promise<void> {
  const walk = new Map<string, number>();
  const random = seededRandom(Date.now());
  const client = new pg.Client({ connectionString: databaseUrl });
  const connected = client.connect();
  let moving: Promise<void> = Promise.resolve();
  const move = async () => {
    await connected;
    const rates = nextRates(walk, random);
    await client.query(
      'INSERT INTO fx_rate (currency_code, rate, as_of) SELECT c, r, now() FROM unnest($1::text[], $2::numeric[]) AS u(c, r)',
      [[...rates.keys()], [...rates.values()]],
    );
  };
  const timer = setInterval(() => {
    moving = moving.then(move).catch(onError);
  }, RATE_MOVE_EVERY_MS);
  return async () => {
    clearInterval(timer);
    await moving;
    await connected.catch(() => undefined);
    await client.end().catch(() => undefined);
  };
}
