import { describe, expect, it } from 'vitest';
import { int4Array, int8Array } from '../../../lambda/adapters/binary-array.js';
import { decodeBinaryArray } from './decode-binary-array.js';

describe('integer arrays in PostgreSQL binary format', () => {
  it('writes bigint[] of negative, large and null elements, each as its exact 8 bytes', () => {
    const values = [
      0,
      1,
      -1,
      2 ** 32,
      -(2 ** 32) - 1,
      Number.MAX_SAFE_INTEGER,
      -Number.MAX_SAFE_INTEGER,
      null,
    ];
    const buffer = int8Array([...values, 10n ** 18n, -(2n ** 63n)]);

    expect(decodeBinaryArray(buffer)).toEqual({
      oid: 20,
      values: [...values.map((v) => (v === null ? null : BigInt(v))), 10n ** 18n, -(2n ** 63n)],
    });
    expect(buffer.readInt32BE(4)).toBe(1);
  });

  it('writes integer[] and empty arrays, with no null flag when there is none', () => {
    const buffer = int4Array([3, 0, -7, 2 ** 31 - 1]);

    expect(decodeBinaryArray(buffer)).toEqual({ oid: 23, values: [3n, 0n, -7n, 2n ** 31n - 1n] });
    expect(buffer.readInt32BE(4)).toBe(0);
    expect(decodeBinaryArray(int8Array([]))).toEqual({ oid: 20, values: [] });
    expect(int4Array([]).length).toBe(12);
  });
});
