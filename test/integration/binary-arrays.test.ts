import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { int4Array, int8Array } from '../../lambda/adapters/binary-array.js';

describe('binary integer arrays, as the server reads them', () => {
  it('arrive as the same integers: negatives, 2^53 and beyond, nulls, empty arrays', async () => {
    const client = new pg.Client({ connectionString: inject('databaseUrl') });
    await client.connect();
    try {
      const result = await client.query<{ big: string; small: string; empty: string; none: string }>(
        'SELECT $1::bigint[]::text AS big, $2::int[]::text AS small, $3::bigint[]::text AS empty, ' +
          'cardinality($4::int[])::text AS none',
        [
          int8Array([
            0,
            -1,
            2 ** 32,
            -(2 ** 32) - 1,
            Number.MAX_SAFE_INTEGER,
            null,
            10n ** 18n,
            -(2n ** 63n),
          ]),
          int4Array([3, -7, 2 ** 31 - 1]),
          int8Array([null]),
          int4Array([]),
        ],
      );

      expect(result.rows[0]).toEqual({
        big: '{0,-1,4294967296,-4294967297,9007199254740991,NULL,1000000000000000000,-9223372036854775808}',
        small: '{3,-7,2147483647}',
        empty: '{NULL}',
        none: '0',
      });
    } finally {
      await client.end();
    }
  });
});
