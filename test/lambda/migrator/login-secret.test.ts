import { describe, expect, it } from 'vitest';
import { parseLogin } from '../../../lambda/migrator/login-secret.js';

const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:aggregator-AbCdEf';

describe('a database login secret', () => {
  it('gives its username and password, whatever else RDS keeps in it', () => {
    const secret = JSON.stringify({
      engine: 'postgres',
      host: 'db.example.internal',
      port: 5432,
      dbname: 'treasury',
      username: 'treasury_aggregator',
      password: 'p4ss-w0rd',
    });

    expect(parseLogin(secret, ARN)).toEqual({ username: 'treasury_aggregator', password: 'p4ss-w0rd' });
  });

  it.each([
    [undefined, /is not JSON/],
    ['not json', /is not JSON/],
    ['null', /has no "username"/],
    ['{"password":"x"}', /has no "username"/],
    ['{"username":"u","password":""}', /has no "password"/],
    ['{"username":"","password":"hunter2"}', /has no "username"/],
  ])('is refused when it is %j, with its ARN in the message and never the password', (secret, message) => {
    expect(() => parseLogin(secret, ARN)).toThrow(message);
    expect(() => parseLogin(secret, ARN)).toThrow(ARN);
    expect(() => parseLogin(secret, ARN)).not.toThrow(/hunter2/);
  });
});
