-- Up Migration

-- The fold of 1764000000009 in bigint cents and kopecks instead of numeric: at 10,000 deals per batch its
-- time went to numeric arithmetic (each operation allocates) and, as much again, to the per-deal
-- statements that found where a position's deals begin and end. Now the aggregator sends each cell's
-- number of deals (its deals are consecutive) and the money as integers, a baseAmount already signed
-- like its amount; so a deal that adds to its position costs two integer additions, and the runs are
-- known before the loop (split by trade date in SQL only when the batch spans dates).
-- Exact, not faster-but-close: every figure is an integer of the currency's smallest unit, rounded where
-- 1764000000006 rounds, to the same kopeck. A product that a bigint cannot hold is computed in numeric;
-- a position or a batch beyond bigint (about 9.2·10^16 units) makes the whole batch go through the
-- numeric fold of 1764000000009, which is kept for that.
CREATE FUNCTION fold_position_results_cents(
  p_batch_id bigint, p_branches text[], p_currencies text[], p_amounts numeric[],
  d_deals integer[], d_cents bigint[], d_kopecks bigint[], d_time_origin bigint, d_times bigint[]
) RETURNS numeric
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
  v_zone text;
  v_deals integer := coalesce(cardinality(d_cents), 0);
  v_one_day date;
  -- Per cell, in cents and kopecks: the position before the batch, its cost, its realized result.
  q bigint[]; c bigint[]; r bigint[]; u bigint[]; since timestamptz[]; in_base boolean[];
  -- The runs: consecutive deals of one cell and trade date (run_day NULL: the batch's one day).
  run_cell integer[] := '{}'; run_first integer[] := '{}'; run_day date[]; v_runs integer;
  ri integer; k integer; i integer; rk integer; rl integer; r_in_base boolean;
  sq bigint; sc bigint; sr bigint; su bigint; ssince timestamptz; q0 bigint; c0 bigint; r0 bigint;
  run_base bigint; run_without integer; run_unknown integer;
  o_cell integer[] := '{}'; o_day date[] := '{}'; o_deals integer[] := '{}'; o_amount bigint[] := '{}';
  o_base bigint[] := '{}'; o_without integer[] := '{}'; o_unknown integer[] := '{}';
  o_realized bigint[] := '{}'; o_cost bigint[] := '{}';
  dq bigint; db bigint; cx bigint; bx bigint;
  v_realized bigint := 0;
  -- 2·a·b + c stays within a bigint when a < v_lim / b and c < v_lim.
  v_lim constant bigint := 3000000000000000000;
BEGIN
  IF v_deals = 0 THEN
    RETURN 0;
  END IF;
  IF cardinality(d_kopecks) <> v_deals OR cardinality(d_times) <> v_deals
     OR cardinality(d_deals) <> cardinality(p_branches)
     OR (SELECT coalesce(sum(n), 0) <> v_deals OR min(n) < 0 FROM unnest(d_deals) AS n) THEN
    RAISE EXCEPTION 'fold_position_results_cents: the deal arrays differ in length' USING ERRCODE = '22023';
  END IF;
  BEGIN
    SELECT time_zone INTO v_zone FROM treasury_setting;
    SELECT array_agg(((cp.net_amount - w.a) * 100)::bigint ORDER BY w.i), array_agg((cp.cost_in_base * 100)::bigint ORDER BY w.i),
           array_agg((cp.realized_in_base * 100)::bigint ORDER BY w.i), array_agg(cp.deals_without_base ORDER BY w.i),
           array_agg(cp.result_since ORDER BY w.i), array_agg(cp.currency_code = s.base_currency ORDER BY w.i)
    INTO q, c, r, u, since, in_base
    FROM unnest(p_branches, p_currencies, p_amounts) WITH ORDINALITY AS w(b, cur, a, i)
    JOIN currency_position cp ON cp.branch_name = w.b AND cp.currency_code = w.cur
    CROSS JOIN treasury_setting s;
    SELECT CASE WHEN min(t.d) = max(t.d) THEN min(t.d) END INTO v_one_day
    FROM (SELECT ((timestamptz 'epoch' + w.t * interval '1 millisecond') AT TIME ZONE v_zone)::date AS d
          FROM (SELECT d_time_origin + min(t) AS lo, d_time_origin + max(t) AS hi FROM unnest(d_times) AS t) AS m,
               LATERAL (VALUES (m.lo), (m.hi)) AS w(t)) AS t;
    IF v_one_day IS NOT NULL THEN
      rk := 1;
      FOR i IN 1 .. cardinality(d_deals) LOOP
        IF d_deals[i] > 0 THEN
          run_cell := run_cell || i; run_first := run_first || rk; rk := rk + d_deals[i];
        END IF;
      END LOOP;
    ELSE
      SELECT array_agg(w.cell ORDER BY w.k), array_agg(w.k ORDER BY w.k), array_agg(w.d ORDER BY w.k)
      INTO run_cell, run_first, run_day
      FROM (SELECT t.cell, t.k, t.d, lag(t.cell) OVER (ORDER BY t.k) AS pc, lag(t.d) OVER (ORDER BY t.k) AS pd
            FROM (SELECT n.cell, g.k, ((timestamptz 'epoch' + (d_time_origin + d_times[g.k]) * interval '1 millisecond') AT TIME ZONE v_zone)::date AS d
                  FROM (SELECT x.i AS cell, x.n, sum(x.n) OVER (ORDER BY x.i) - x.n AS before
                        FROM unnest(d_deals) WITH ORDINALITY AS x(n, i)) AS n,
                       generate_series((n.before + 1)::integer, (n.before + n.n)::integer) AS g(k)) AS t) AS w
      WHERE w.pc IS NULL OR w.cell <> w.pc OR w.d <> w.pd;
    END IF;
    v_runs := cardinality(run_first);

    FOR ri IN 1 .. v_runs LOOP
      rk := run_first[ri]; rl := coalesce(run_first[ri + 1], v_deals + 1) - 1;
      i := run_cell[ri]; r_in_base := in_base[i];
      sq := q[i]; sc := c[i]; sr := r[i]; su := u[i]; ssince := since[i]; q0 := sq; c0 := sc; r0 := sr;
      run_base := 0; run_without := 0; run_unknown := 0;
      FOR k IN rk .. rl LOOP
        dq := d_cents[k];
        -- A base-currency deal's b is its amount; any other's is its baseAmount, signed like the amount.
        db := CASE WHEN r_in_base THEN dq ELSE d_kopecks[k] END;
        IF su = 0 AND db IS NOT NULL AND (sq = 0 OR dq = 0 OR (sq > 0) = (dq > 0)) THEN
          -- Opens or adds: the common case, in the fewest statements.
          sq := sq + dq; sc := sc + db; run_base := run_base + db;
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
            -- The reset is no realized result: r0 moves with it, so that the run's realized is sr - r0.
            r0 := r0 - sr; sc := 0; sr := 0; su := 0;
            ssince := timestamptz 'epoch' + (d_time_origin + d_times[k]) * interval '1 millisecond';
          END IF;
        ELSIF abs(dq) < abs(sq) THEN
          -- Reduces: x = |q|, the deal's share is all of b, its cost round(C·x/|Q|) half away from zero:
          -- (2·|C|·x + |Q|) div (2·|Q|), in kopecks, signed like C.
          cx := CASE WHEN abs(sc) < v_lim / abs(dq) THEN (2 * abs(sc) * abs(dq) + abs(sq)) / (2 * abs(sq))
                     ELSE div(2 * abs(sc)::numeric * abs(dq) + abs(sq), 2 * abs(sq))::bigint END
                * CASE WHEN sc < 0 THEN -1 ELSE 1 END;
          sr := sr - db - cx; sc := sc - cx; sq := sq + dq; run_base := run_base + db;
        ELSE
          -- Closes or flips: x = |Q|, the cost is all of C, the deal's share round(b·x/|q|); the rest of
          -- the deal opens the other side at its own rate.
          bx := CASE WHEN abs(dq) = abs(sq) THEN abs(db)
                     WHEN abs(db) < v_lim / abs(sq) THEN (2 * abs(db) * abs(sq) + abs(dq)) / (2 * abs(dq))
                     ELSE div(2 * abs(db)::numeric * abs(sq) + abs(dq), 2 * abs(dq))::bigint END
                * CASE WHEN db < 0 THEN -1 ELSE 1 END;
          sr := sr - bx - sc; sc := db - bx; sq := sq + dq; run_base := run_base + db;
        END IF;
      END LOOP;
      q[i] := sq; c[i] := sc; r[i] := sr; u[i] := su; since[i] := ssince;
      o_cell := o_cell || i; o_day := o_day || coalesce(run_day[ri], v_one_day); o_deals := o_deals || (rl - rk + 1);
      o_amount := o_amount || (sq - q0); o_base := o_base || run_base; o_without := o_without || run_without;
      o_unknown := o_unknown || run_unknown; o_realized := o_realized || (sr - r0); o_cost := o_cost || (sc - c0);
      v_realized := v_realized + (sr - r0);
    END LOOP;

    -- base_flow is cost less realized: the CHECK of 1764000000006, which 1764000000009's fold kept.
    UPDATE currency_position cp
    SET cost_in_base = w.c * 0.01, realized_in_base = w.r * 0.01, base_flow = (w.c - w.r) * 0.01,
        deals_without_base = w.u, result_since = w.s
    FROM unnest(p_branches, p_currencies, c, r, u, since) AS w(b, cur, c, r, u, s)
    WHERE cp.branch_name = w.b AND cp.currency_code = w.cur;

    INSERT INTO position_result_flow (batch_id, branch_name, currency_code, trade_date, deal_count, amount, base_amount,
                                      deals_without_base, deals_result_unknown, realized_in_base, cost_change)
    SELECT p_batch_id, p_branches[o.cell], p_currencies[o.cell], o.day, sum(o.deals), sum(o.amount) * 0.01,
           sum(o.base) * 0.01, sum(o.without), sum(o.unknown), sum(o.realized) * 0.01, sum(o.cost) * 0.01
    FROM unnest(o_cell, o_day, o_deals, o_amount, o_base, o_without, o_unknown, o_realized, o_cost)
         AS o(cell, day, deals, amount, base, without, unknown, realized, cost)
    GROUP BY o.cell, o.day
    ORDER BY o.cell, o.day;

    RETURN v_realized * 0.01;
  EXCEPTION WHEN numeric_value_out_of_range THEN
    -- Beyond a bigint of cents: what this block wrote is rolled back, and the numeric fold folds the
    -- same deals (each cell's in their order), so the figures are the same, only slower.
    RETURN fold_position_results(
      p_batch_id, p_branches, p_currencies, p_amounts,
      (SELECT array_agg(x.i::integer ORDER BY x.i) FROM unnest(d_deals) WITH ORDINALITY AS x(n, i), generate_series(1, x.n) AS g(m)),
      (SELECT array_agg(w.a * 0.01 ORDER BY w.n) FROM unnest(d_cents) WITH ORDINALITY AS w(a, n)),
      (SELECT array_agg(abs(w.b) * 0.01 ORDER BY w.n) FROM unnest(d_kopecks) WITH ORDINALITY AS w(b, n)),
      (SELECT array_agg(d_time_origin + w.t ORDER BY w.n) FROM unnest(d_times) WITH ORDINALITY AS w(t, n)));
  END;
END;
$$;
REVOKE ALL ON FUNCTION fold_position_results_cents FROM PUBLIC;

-- Down Migration
DROP FUNCTION fold_position_results_cents;
