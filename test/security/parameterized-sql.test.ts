import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findUnparameterizedSql } from './sql-text.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The TypeScript files of the folders that talk to PostgreSQL in production and locally. */
function sourceFiles(...folders: string[]): string[] {
  return folders.flatMap((folder) =>
    readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
      .filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'))
      .map((path) => join(folder, path)),
  );
}

describe('SQL is parameterized', () => {
  it('sends values only as bind parameters in every query of lambda/, db/ and local/', () => {
    // Prepare
    const files = sourceFiles('lambda', 'db', 'local');

    // Act
    const results = files.map((file) => findUnparameterizedSql(join(ROOT, file)));

    // Assess
    const findings = results.flatMap((result) =>
      result.findings.map((f) => `${relative(ROOT, f.file)}:${f.line} ${f.code} — ${f.why}`),
    );
    expect(findings).toEqual([]);
    // The scan saw the queries (apply_batch's among them), so an empty result means something.
    expect(results.reduce((sum, result) => sum + result.queries, 0)).toBeGreaterThanOrEqual(5);
  });

  it('flags SQL text built from values, and passes constants and names quoted by pg', () => {
    // Prepare: what the scan must reject and what it must accept.
    const unsafe = `
      const id = event.id;
      let sql = 'SELECT 1';
      export async function run(pool, client, column, name) {
        await pool.query(\`SELECT * FROM t WHERE id = \${id}\`);
        await pool.query('SELECT ' + column + ' FROM t');
        await client.query(sql);
        await client.query({ text: \`DELETE FROM t WHERE name = '\${name}'\` });
        await client.query(\`GRANT SELECT ON t TO \${String(name)}\`);
      }`;
    const safe = `
      import pg from 'pg';
      const APPLY = 'SELECT apply_batch($1, ' + '$2)';
      const grant = (role) => \`GRANT USAGE ON SCHEMA public TO \${role}\`;
      function statements(database) {
        const db = pg.escapeIdentifier(database);
        return [\`REVOKE ALL ON DATABASE \${db} FROM PUBLIC\`, grant(pg.escapeIdentifier('treasury_reader'))];
      }
      export async function run(pool, client, values, database, verifier) {
        await pool.query(APPLY, values);
        await pool.query('SELECT $1::int', [1]);
        await client.query({ text: 'SELECT $1', values });
        await client.query(\`ALTER ROLE r PASSWORD \${client.escapeLiteral(verifier)} \${values ? 'LOGIN' : 'NOLOGIN'}\`);
        for (const statement of statements(database)) await client.query(statement);
      }`;

    // Act
    const rejected = findUnparameterizedSql('unsafe.ts', unsafe);
    const accepted = findUnparameterizedSql('safe.ts', safe);

    // Assess
    expect(rejected.findings.map((f) => f.line)).toEqual([5, 6, 7, 8, 9]);
    expect(accepted.findings).toEqual([]);
    expect(accepted.queries).toBe(5);
  });

  it('builds no dynamic SQL from values in the migrations, and pins search_path in SECURITY DEFINER functions', () => {
    // Prepare
    const migrations = readdirSync(join(ROOT, 'db/migrations')).filter((name) => name.endsWith('.sql'));

    // Act
    const problems: string[] = [];
    let definers = 0;
    for (const name of migrations) {
      // Comments may say anything; the statements are what run.
      const sql = readFileSync(join(ROOT, 'db/migrations', name), 'utf8').replace(/--.*$/gm, '');
      // PL/pgSQL's EXECUTE at the start of a statement (GRANT EXECUTE ON … is a privilege, not this).
      for (const execute of sql.matchAll(/^\s*EXECUTE\s+(?!ON\b)[^;]*;/gim)) {
        const statement = execute[0].trim();
        // Only format() with %I (identifier) and %L (literal) quoting; never %s or || with values.
        if (!/^EXECUTE\s+format\(/i.test(statement) || /%s/.test(statement) || /\|\|/.test(statement)) {
          problems.push(`${name}: ${statement}`);
        }
      }
      for (const fn of sql.matchAll(/CREATE(?: OR REPLACE)? FUNCTION[\s\S]*?AS \$\$/gi)) {
        if (!/SECURITY DEFINER/i.test(fn[0])) continue;
        definers++;
        if (!/SET search_path = [^;\n]*pg_temp/i.test(fn[0]))
          problems.push(`${name}: ${fn[0].split('\n')[0]}`);
      }
    }

    // Assess
    expect(problems).toEqual([]);
    expect(definers).toBeGreaterThanOrEqual(1);
  });
});
