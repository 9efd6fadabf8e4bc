-- mpfs: DuckDB views over the Parquet warehouse, for BI tools and ad-hoc queries.
--
-- Usage (the warehouse path defaults to data/warehouse):
--   duckdb mpfs.duckdb -c "SET VARIABLE mpfs_warehouse = '/data/mpfs/warehouse'" -c ".read sql/views.sql"
--   duckdb mpfs.duckdb -c ".read sql/views.sql"
-- Then point Superset, Power BI (through the DuckDB ODBC driver) or a notebook at mpfs.duckdb.
-- The views read the Parquet files at query time, so a nightly build shows up without
-- recreating them.

SET VARIABLE mpfs_warehouse = COALESCE(getvariable('mpfs_warehouse'), 'data/warehouse');

-- One view per table; `year` and `release` come from the hive partition path.
CREATE OR REPLACE VIEW releases AS
    SELECT * FROM read_parquet(getvariable('mpfs_warehouse') || '/releases/releases.parquet');
CREATE OR REPLACE VIEW conversion_factor AS
    SELECT * FROM read_parquet(getvariable('mpfs_warehouse') || '/conversion_factor/conversion_factor.parquet');
CREATE OR REPLACE VIEW rvu AS
    SELECT * FROM read_parquet(getvariable('mpfs_warehouse') || '/rvu/**/*.parquet', hive_partitioning = true);
CREATE OR REPLACE VIEW gpci AS
    SELECT * FROM read_parquet(getvariable('mpfs_warehouse') || '/gpci/**/*.parquet', hive_partitioning = true);
CREATE OR REPLACE VIEW locality_county AS
    SELECT * FROM read_parquet(getvariable('mpfs_warehouse') || '/locality_county/**/*.parquet', hive_partitioning = true);
CREATE OR REPLACE VIEW anes_cf AS
    SELECT * FROM read_parquet(getvariable('mpfs_warehouse') || '/anes_cf/**/*.parquet', hive_partitioning = true);
CREATE OR REPLACE VIEW opps_cap AS
    SELECT * FROM read_parquet(getvariable('mpfs_warehouse') || '/opps_cap/**/*.parquet', hive_partitioning = true);
CREATE OR REPLACE VIEW payment AS
    SELECT * FROM read_parquet(getvariable('mpfs_warehouse') || '/payment/**/*.parquet', hive_partitioning = true);
CREATE OR REPLACE VIEW rvu_history AS
    SELECT * FROM read_parquet(getvariable('mpfs_warehouse') || '/rvu_history/rvu_history.parquet');
CREATE OR REPLACE VIEW quarantine AS
    SELECT * FROM read_parquet(getvariable('mpfs_warehouse') || '/quarantine/**/*.parquet', hive_partitioning = true);

-- The release in force now: the latest built (its effective_to is still open).
CREATE OR REPLACE VIEW current_release AS
    SELECT * FROM releases WHERE effective_to IS NULL;

-- RVUs of the current release.
CREATE OR REPLACE VIEW rvu_current AS
    SELECT r.* FROM rvu r JOIN current_release c USING (release_id);

-- The last release of every year: the usual basis for year-over-year comparisons.
CREATE OR REPLACE VIEW rvu_year_end AS
    SELECT r.* FROM rvu r
    JOIN (SELECT year, arg_max(release_id, effective_from) AS release_id FROM releases GROUP BY year) y
      USING (release_id);

-- National amounts (MAC 00000, locality 00: all GPCIs 1.0) with the service's descriptors.
CREATE OR REPLACE VIEW payment_national AS
    SELECT p.release_id, p.year, p.release, p.effective_from, p.cf_variant, p.hcpcs, p.modifier,
           r.description, r.status_code, r.global_days,
           p.nonfac_fee, p.fac_fee, p.nonfac_na, p.fac_na,
           p.nonfac_limiting_charge, p.fac_limiting_charge, r.conv_factor
    FROM payment p
    JOIN rvu r USING (release_id, cf_variant, hcpcs, modifier)
    WHERE p.mac = '00000' AND p.locality = '00';

-- Amounts per payment locality, with the locality's state and name.
CREATE OR REPLACE VIEW payment_by_locality AS
    SELECT p.release_id, p.year, p.release, p.effective_from, p.cf_variant, p.hcpcs, p.modifier,
           p.mac, p.locality, g.state, g.locality_name,
           p.nonfac_fee, p.fac_fee, p.nonfac_na, p.fac_na,
           p.nonfac_opps_capped, p.fac_opps_capped,
           p.nonfac_limiting_charge, p.fac_limiting_charge,
           g.work_gpci, g.pe_gpci, g.mp_gpci
    FROM payment p
    JOIN gpci g USING (release_id, mac, locality);

-- Current national amounts: what a fee lookup shows today.
CREATE OR REPLACE VIEW payment_national_current AS
    SELECT n.* FROM payment_national n JOIN current_release c USING (release_id);

-- Rows the checks rejected, newest release first.
CREATE OR REPLACE VIEW quarantine_recent AS
    SELECT q.*, rl.effective_from AS release_effective_from
    FROM quarantine q JOIN releases rl USING (release_id)
    ORDER BY rl.effective_from DESC, q.kind, q.source_file, q.line;
