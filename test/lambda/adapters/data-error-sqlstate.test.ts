import { describe, expect, it } from 'vitest';
import { dataErrorSqlstate } from '../../../lambda/adapters/postgres-position-store.js';

describe('dataErrorSqlstate', () => {
  it.each([
    ['22021', 'invalid byte sequence'],
    ['22003', 'numeric value out of range'],
    ['22P02', 'invalid text representation'],
    ['23505', 'unique violation'],
    ['23514', 'check violation'],
  ])('names %s (%s) a data error', (code) => {
    // Act
    const sqlstate = dataErrorSqlstate(Object.assign(new Error('x'), { code }));

    // Assess
    expect(sqlstate).toBe(code);
  });

  it.each([
    ['08006', 'connection failure'],
    ['40001', 'serialization failure'],
    ['40P01', 'deadlock'],
    ['53100', 'disk full'],
    ['57014', 'query canceled'],
    ['57P01', 'admin shutdown'],
    ['28P01', 'invalid password'],
    ['P0001', 'raise exception'],
    ['ECONNREFUSED', 'a socket error'],
    [undefined, 'no code'],
  ] as [string | undefined, string][])('leaves %s (%s) to be thrown', (code) => {
    // Act
    const sqlstate = dataErrorSqlstate(Object.assign(new Error('x'), { code }));

    // Assess
    expect(sqlstate).toBeUndefined();
  });

  it('leaves a thrown non-object to be thrown', () => {
    // Act & Assess
    expect(dataErrorSqlstate(null)).toBeUndefined();
    expect(dataErrorSqlstate('boom')).toBeUndefined();
  });
});
