-- mpfs: DuckDB views over the ZIP-locality tables. Read after sql/views.sql, once the
-- warehouse holds at least one ZIP-locality quarter (the views need its files to exist):
--   duckdb mpfs.duckdb -c ".read sql/views.sql" -c ".read sql/zip_views.sql"

SET VARIABLE mpfs_warehouse = COALESCE(getvariable('mpfs_warehouse'), 'data/warehouse');

-- One row per ZIP (plus4 null) or ZIP+4 of a split ZIP, per quarter.
CREATE OR REPLACE VIEW zip_locality AS
    SELECT * FROM read_parquet(getvariable('mpfs_warehouse') || '/zip_locality/**/*.parquet', hive_partitioning = true);
-- One row per quarter built, with the dates it was in force.
CREATE OR REPLACE VIEW zip_releases AS
    SELECT * FROM read_parquet(getvariable('mpfs_warehouse') || '/zip_releases/zip_releases.parquet');
-- ZIPs added, removed, moved or with another rural indicator between neighbouring quarters.
CREATE OR REPLACE VIEW zip_locality_change AS
    SELECT * FROM read_parquet(getvariable('mpfs_warehouse') || '/zip_locality_change/**/*.parquet', hive_partitioning = false);

-- Every effective period the warehouse knows: PFS releases and ZIP-locality quarters.
CREATE OR REPLACE VIEW release_calendar AS
    SELECT 'pfs' AS dataset, release_id, year, release, effective_from, effective_to FROM releases
    UNION ALL
    SELECT 'zip_locality', release_id, year, release, effective_from, effective_to FROM zip_releases;

-- Per ZIP (and +4) and date range, the locality and its GPCIs: the ZIP quarter's period
-- intersected with the period of the PFS release whose GPCI was in force. An open period
-- ends with its year for a PFS release (a release never prices the next year) and stays
-- open (valid_to null) for the latest ZIP quarter. Join claims with
--   c.zip5 = z.zip5 AND z.plus4 IS NOT DISTINCT FROM c.plus4
--   AND c.service_date BETWEEN z.valid_from AND coalesce(z.valid_to, DATE '9999-12-31')
-- (for a split ZIP without its +4, join the ZIP5 row: plus4 IS NULL).
CREATE OR REPLACE VIEW zip_locality_gpci AS
    SELECT z.zip5, z.plus4, z.state, z.mac, z.locality, z.rural_indicator,
           greatest(zr.effective_from, r.effective_from) AS valid_from,
           nullif(least(coalesce(zr.effective_to, DATE '9999-12-31'),
                        coalesce(r.effective_to, make_date(r.year, 12, 31))),
                  DATE '9999-12-31') AS valid_to,
           z.release_id AS zip_release_id, r.release_id AS pfs_release_id,
           g.locality_name, g.work_gpci, g.pe_gpci, g.mp_gpci
    FROM zip_locality z
    JOIN zip_releases zr USING (release_id)
    JOIN gpci g ON g.mac = z.mac AND g.locality = z.locality
    JOIN releases r ON r.release_id = g.release_id
    WHERE r.effective_from <= coalesce(zr.effective_to, DATE '9999-12-31')
      AND coalesce(r.effective_to, make_date(r.year, 12, 31)) >= zr.effective_from;
