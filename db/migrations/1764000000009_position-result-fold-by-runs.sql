-- Up Migration

-- fold_position_results of 1764000000006, the same arithmetic at about half the server's time per deal
-- (bench/write-path measures both). Where that one's time went, at 10,000 deals per batch (EXPLAIN ANALYZE
-- of apply_batch on this machine: 38 ms, of which 2 ms are the rest of apply_batch): about half in the
-- per-deal loop, half in the INSERT that unnested seven arrays of 10,000 to group them by cell and trade
-- date. So the loop now keeps a run of consecutive deals of one position and one trade date in scalar
-- variables (a batch's deals come grouped by position, in offset order, so a batch of 16 positions on one
-- day has 16 runs) and adds the run's figures up as it goes; the INSERT groups the runs, not the deals.
-- The trade date of each deal is computed only in a batch whose deals span more than one trade date.
-- Same signature, same grants, same rows: the figures a run adds up are exactly the sums the INSERT took
-- (Σq and the cost change telescope: the run's last state less its first).
CREATE OR REPLACE FUNCTION fold_position_results(
  p_batch_id bigint, p_branches text[], p_currencies text[], p_amounts numeric[],
  d_cells integer[], d_amounts numeric[], d_bases numeric[], d_times bigint[]
) RETURNS numeric
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
  v_zone text;
  v_deals integer := coalesce(cardinality(d_cells), 0);
  v_one_day date;
  q numeric[]; c numeric[]; r numeric[]; f numeric[]; u bigint[]; since timestamptz[]; in_base boolean[];
  -- The run being folded: its cell, trade date, first deal, the position's state (sq, sc, sr, sf, su,
  -- ssince) and its state at the run's start (q0, c0); what the run adds to its position_result_flow row.
  k integer; i integer; day date;
  ri integer := 0; rday date; rk integer; r_in_base boolean;
  sq numeric; sc numeric; sr numeric; sf numeric; su bigint; ssince timestamptz; q0 numeric; c0 numeric;
  run_base numeric; run_without integer; run_unknown integer; run_realized numeric;
  -- The runs folded, one element each.
  o_cell integer[] := '{}'; o_day date[] := '{}'; o_deals integer[] := '{}'; o_amount numeric[] := '{}';
  o_base numeric[] := '{}'; o_without integer[] := '{}'; o_unknown integer[] := '{}';
  o_realized numeric[] := '{}'; o_cost numeric[] := '{}';
  dq numeric; db numeric; x numeric; cx numeric; bx numeric;
  v_realized numeric := 0;
BEGIN
  IF v_deals = 0 THEN
    RETURN 0;
  END IF;
  IF cardinality(d_amounts) <> v_deals OR cardinality(d_bases) <> v_deals OR cardinality(d_times) <> v_deals THEN
    RAISE EXCEPTION 'fold_position_results: the deal arrays differ in length' USING ERRCODE = '22023';
  END IF;
  SELECT time_zone INTO v_zone FROM treasury_setting;
  SELECT array_agg(cp.net_amount - w.a ORDER BY w.i), array_agg(cp.cost_in_base ORDER BY w.i),
         array_agg(cp.realized_in_base ORDER BY w.i), array_agg(cp.base_flow ORDER BY w.i),
         array_agg(cp.deals_without_base ORDER BY w.i), array_agg(cp.result_since ORDER BY w.i),
         array_agg(cp.currency_code = s.base_currency ORDER BY w.i)
  INTO q, c, r, f, u, since, in_base
  FROM unnest(p_branches, p_currencies, p_amounts) WITH ORDINALITY AS w(b, cur, a, i)
  JOIN currency_position cp ON cp.branch_name = w.b AND cp.currency_code = w.cur
  CROSS JOIN treasury_setting s;
  -- NULL when the deals span more than one trade date: then each deal's date is computed.
  SELECT CASE WHEN min(t.d) = max(t.d) THEN min(t.d) END INTO v_one_day
  FROM (SELECT ((timestamptz 'epoch' + w.t * interval '1 millisecond') AT TIME ZONE v_zone)::date AS d
        FROM (SELECT min(t) AS lo, max(t) AS hi FROM unnest(d_times) AS t) AS m, LATERAL (VALUES (m.lo), (m.hi)) AS w(t)) AS t;
  day := v_one_day;

  -- One step past the last deal (d_cells[v_deals + 1] is NULL, so i = 0) ends the last run.
  FOR k IN 1 .. v_deals + 1 LOOP
    i := coalesce(d_cells[k], 0);
    IF v_one_day IS NULL AND i > 0 THEN
      day := ((timestamptz 'epoch' + d_times[k] * interval '1 millisecond') AT TIME ZONE v_zone)::date;
    END IF;
    IF i <> ri OR day <> rday THEN
      IF ri > 0 THEN
        q[ri] := sq; c[ri] := sc; r[ri] := sr; f[ri] := sf; u[ri] := su; since[ri] := ssince;
        o_cell := o_cell || ri; o_day := o_day || rday; o_deals := o_deals || (k - rk);
        o_amount := o_amount || (sq - q0); o_base := o_base || run_base; o_without := o_without || run_without;
        o_unknown := o_unknown || run_unknown; o_realized := o_realized || run_realized;
        o_cost := o_cost || (sc - c0);
        v_realized := v_realized + run_realized;
      END IF;
      EXIT WHEN i = 0;
      ri := i; rday := day; rk := k; r_in_base := in_base[i];
      sq := q[i]; sc := c[i]; sr := r[i]; sf := f[i]; su := u[i]; ssince := since[i]; q0 := sq; c0 := sc;
      run_base := 0; run_without := 0; run_unknown := 0; run_realized := 0;
    END IF;
    dq := d_amounts[k];
    -- b is signed like q: a deal of amount 0 moves no cost whatever its baseAmount.
    db := CASE WHEN r_in_base THEN dq WHEN dq > 0 THEN d_bases[k] WHEN dq < 0 THEN -d_bases[k] ELSE 0 * d_bases[k] END;
    IF su = 0 AND db IS NOT NULL AND (sq = 0 OR (sq > 0) = (dq > 0)) THEN
      -- Opens or adds: the common case, in the fewest statements.
      sq := sq + dq; sc := sc + db; sf := sf + db; run_base := run_base + db;
    ELSIF su > 0 OR db IS NULL THEN
      -- Unknown cost: the position counts, its result does not; flat again, the cost is known (0).
      run_unknown := run_unknown + 1;
      IF db IS NULL THEN
        su := su + 1; run_without := run_without + 1;
      ELSE
        run_base := run_base + db;
      END IF;
      sq := sq + dq;
      IF sq = 0 THEN
        sc := 0; sr := 0; sf := 0; su := 0;
        ssince := timestamptz 'epoch' + d_times[k] * interval '1 millisecond';
      END IF;
    ELSE
      -- Reduces, closes or flips. round(C·x/|Q|) half away from zero:
      -- floor((2·|C|·100·x + |Q|) / (2·|Q|)) kopecks, with C's sign; the same for the deal's share.
      x := least(abs(dq), abs(sq));
      cx := CASE WHEN x = abs(sq) THEN sc
                 ELSE sign(sc) * div(200 * abs(sc) * x + abs(sq), 2 * abs(sq)) / 100 END;
      bx := CASE WHEN x = abs(dq) THEN db
                 ELSE sign(db) * div(200 * abs(db) * x + abs(dq), 2 * abs(dq)) / 100 END;
      run_realized := run_realized - bx - cx;
      sr := sr - bx - cx;
      sc := sc - cx + (db - bx);
      sq := sq + dq;
      sf := sf + db; run_base := run_base + db;
    END IF;
  END LOOP;

  UPDATE currency_position cp
  SET cost_in_base = w.c, realized_in_base = w.r, base_flow = w.f, deals_without_base = w.u, result_since = w.s
  FROM unnest(p_branches, p_currencies, c, r, f, u, since) AS w(b, cur, c, r, f, u, s)
  WHERE cp.branch_name = w.b AND cp.currency_code = w.cur;

  -- A position's deals can make more than one run of a date (deals of several partitions, or dates that
  -- alternate), so the runs are added up per position and date.
  INSERT INTO position_result_flow (batch_id, branch_name, currency_code, trade_date, deal_count, amount, base_amount,
                                    deals_without_base, deals_result_unknown, realized_in_base, cost_change)
  SELECT p_batch_id, p_branches[o.cell], p_currencies[o.cell], o.day, sum(o.deals), sum(o.amount), sum(o.base),
         sum(o.without), sum(o.unknown), sum(o.realized), sum(o.cost)
  FROM unnest(o_cell, o_day, o_deals, o_amount, o_base, o_without, o_unknown, o_realized, o_cost)
       AS o(cell, day, deals, amount, base, without, unknown, realized, cost)
  GROUP BY o.cell, o.day
  ORDER BY o.cell, o.day;

  RETURN v_realized;
END;
$$;

-- Down Migration
CREATE OR REPLACE FUNCTION fold_position_results(
  p_batch_id bigint, p_branches text[], p_currencies text[], p_amounts numeric[],
  d_cells integer[], d_amounts numeric[], d_bases numeric[], d_times bigint[]
) RETURNS numeric
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
  v_zone text;
  v_deals integer := coalesce(cardinality(d_cells), 0);
  q numeric[]; c numeric[]; r numeric[]; f numeric[]; u bigint[]; since timestamptz[]; in_base boolean[];
  o_base numeric[]; o_realized numeric[]; o_cost numeric[];
  k integer; i integer;
  dq numeric; db numeric; x numeric; cx numeric; bx numeric; c0 numeric; rz numeric;
  v_realized numeric := 0;
BEGIN
  IF v_deals = 0 THEN
    RETURN 0;
  END IF;
  IF cardinality(d_amounts) <> v_deals OR cardinality(d_bases) <> v_deals OR cardinality(d_times) <> v_deals THEN
    RAISE EXCEPTION 'fold_position_results: the deal arrays differ in length' USING ERRCODE = '22023';
  END IF;
  SELECT time_zone INTO v_zone FROM treasury_setting;
  SELECT array_agg(cp.net_amount - w.a ORDER BY w.i), array_agg(cp.cost_in_base ORDER BY w.i),
         array_agg(cp.realized_in_base ORDER BY w.i), array_agg(cp.base_flow ORDER BY w.i),
         array_agg(cp.deals_without_base ORDER BY w.i), array_agg(cp.result_since ORDER BY w.i),
         array_agg(cp.currency_code = s.base_currency ORDER BY w.i)
  INTO q, c, r, f, u, since, in_base
  FROM unnest(p_branches, p_currencies, p_amounts) WITH ORDINALITY AS w(b, cur, a, i)
  JOIN currency_position cp ON cp.branch_name = w.b AND cp.currency_code = w.cur
  CROSS JOIN treasury_setting s;
  o_base := array_fill(NULL::numeric, ARRAY[v_deals]);
  o_realized := o_base;
  o_cost := o_base;

  FOR k IN 1 .. v_deals LOOP
    i := d_cells[k];
    dq := d_amounts[k];
    -- b is signed like q: a deal of amount 0 moves no cost whatever its baseAmount.
    db := CASE WHEN in_base[i] THEN dq ELSE sign(dq) * d_bases[k] END;
    c0 := c[i];
    IF db IS NULL THEN
      u[i] := u[i] + 1;
    END IF;
    IF u[i] > 0 THEN
      -- Unknown cost: the position counts, its result does not; flat again, the cost is known (0).
      q[i] := q[i] + dq;
      rz := NULL;
      IF q[i] = 0 THEN
        c[i] := 0; r[i] := 0; f[i] := 0; u[i] := 0;
        since[i] := timestamptz 'epoch' + d_times[k] * interval '1 millisecond';
      END IF;
    ELSIF q[i] = 0 OR sign(q[i]) = sign(dq) THEN
      q[i] := q[i] + dq; c[i] := c[i] + db; f[i] := f[i] + db;
      rz := 0;
    ELSE
      x := least(abs(dq), abs(q[i]));
      -- round(C·x/|Q|) half away from zero: floor((2·|C|·100·x + |Q|) / (2·|Q|)) kopecks, with C's sign.
      cx := CASE WHEN x = abs(q[i]) THEN c[i]
                 ELSE sign(c[i]) * div(200 * abs(c[i]) * x + abs(q[i]), 2 * abs(q[i])) / 100 END;
      bx := CASE WHEN x = abs(dq) THEN db
                 ELSE sign(db) * div(200 * abs(db) * x + abs(dq), 2 * abs(dq)) / 100 END;
      rz := -bx - cx;
      r[i] := r[i] + rz;
      c[i] := c[i] - cx + (db - bx);
      q[i] := q[i] + dq;
      f[i] := f[i] + db;
    END IF;
    o_base[k] := db;
    o_realized[k] := rz;
    o_cost[k] := c[i] - c0;
    v_realized := v_realized + coalesce(rz, 0);
  END LOOP;

  UPDATE currency_position cp
  SET cost_in_base = w.c, realized_in_base = w.r, base_flow = w.f, deals_without_base = w.u, result_since = w.s
  FROM unnest(p_branches, p_currencies, c, r, f, u, since) AS w(b, cur, c, r, f, u, s)
  WHERE cp.branch_name = w.b AND cp.currency_code = w.cur;

  INSERT INTO position_result_flow (batch_id, branch_name, currency_code, trade_date, deal_count, amount, base_amount,
                                    deals_without_base, deals_result_unknown, realized_in_base, cost_change)
  SELECT p_batch_id, p_branches[d.cell], p_currencies[d.cell], d.trade_date, count(*), sum(d.a),
         coalesce(sum(d.b), 0), count(*) FILTER (WHERE d.b IS NULL), count(*) FILTER (WHERE d.rz IS NULL),
         coalesce(sum(d.rz), 0), sum(d.cc)
  FROM (SELECT w.cell, w.a, w.b, w.rz, w.cc,
               ((timestamptz 'epoch' + w.t * interval '1 millisecond') AT TIME ZONE v_zone)::date AS trade_date
        FROM unnest(d_cells, d_amounts, o_base, d_times, o_realized, o_cost) AS w(cell, a, b, t, rz, cc)) AS d
  GROUP BY d.cell, d.trade_date
  ORDER BY d.cell, d.trade_date;

  RETURN v_realized;
END;
$$;
