-- Up Migration

-- The two database roles the pipeline's users log in as, with the least they need:
--   treasury_aggregator  connects and executes apply_batch (SECURITY DEFINER: it writes as its owner);
--                        nothing else: it can read and change no table directly.
--   treasury_reader      connects and reads every table and view; it writes nothing.
-- They are created NOLOGIN here; the CDK custom resource (lambda/migrator) gives them LOGIN and the
-- passwords Secrets Manager holds. Roles belong to the whole server, which several databases (tests,
-- local runs) share, and each applies this migration: creation is idempotent and tolerates another
-- database creating the same role at the same moment.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'treasury_aggregator') THEN
    BEGIN
      CREATE ROLE treasury_aggregator NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;
    END;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'treasury_reader') THEN
    BEGIN
      CREATE ROLE treasury_reader NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
      -- A second fence behind the grants: the reader's sessions start read-only. Set once, at
      -- creation: a role setting is server-wide, and concurrent ALTER ROLEs would collide.
      ALTER ROLE treasury_reader SET default_transaction_read_only = on;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;
    END;
  END IF;
END
$$;

-- PUBLIC gets CONNECT and TEMPORARY on every new database; only our roles (and the owner) may connect,
-- and nobody but the owner creates temporary tables.
DO $$
BEGIN
  EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO treasury_aggregator, treasury_reader', current_database());
END
$$;

-- Before PostgreSQL 15 PUBLIC may create objects in the public schema; nobody but the owner may.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO treasury_aggregator, treasury_reader;

-- PostgreSQL lets PUBLIC execute every new function, and apply_batch writes as its owner: left so,
-- any login could write. Only the aggregator may call it.
REVOKE ALL ON FUNCTION apply_batch FROM PUBLIC;
GRANT EXECUTE ON FUNCTION apply_batch TO treasury_aggregator;

-- Functions later migrations create start closed too. This must be the global form: a default
-- privilege given IN SCHEMA can only add to the global defaults, never take PUBLIC's EXECUTE away.
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- Tables and views, present and to come (created by the role that runs the migrations).
GRANT SELECT ON ALL TABLES IN SCHEMA public TO treasury_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO treasury_reader;

-- Down Migration
-- The roles stay: they belong to the server, and other databases on it may use them.
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT ON TABLES FROM treasury_reader;
REVOKE SELECT ON ALL TABLES IN SCHEMA public FROM treasury_reader;
ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO PUBLIC;
REVOKE EXECUTE ON FUNCTION apply_batch FROM treasury_aggregator;
GRANT EXECUTE ON FUNCTION apply_batch TO PUBLIC;
REVOKE USAGE ON SCHEMA public FROM treasury_aggregator, treasury_reader;
DO $$
BEGIN
  EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM treasury_aggregator, treasury_reader', current_database());
  EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO PUBLIC', current_database());
END
$$;
