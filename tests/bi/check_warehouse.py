#!/usr/bin/env python3
"""Reads an mpfs warehouse with DuckDB, an independent Parquet reader as BI tools use, and
checks every table against the contract mpfs declares (`mpfs schema --format json`: column
names, order and types) and known values.

Usage: check_warehouse.py WAREHOUSE MPFS [--real]
  MPFS    the mpfs binary, asked for its table declarations
  --real  the warehouse also holds the real CMS release 2025D (rvu25d.zip)
Exits non-zero with a message on the first mismatch.
"""
import datetime
import glob
import json
import os
import subprocess
import sys
from decimal import Decimal as D

import duckdb


def check(condition, message):
    if not condition:
        sys.exit(f"BI check failed: {message}")


def check_contract(con, warehouse, contract):
    """Every table the warehouse holds, read by DuckDB, has exactly the declared columns in
    the declared order with the declared types (optional columns may be absent); returns the
    names of the tables checked."""
    checked = []
    for table in contract:
        layout, name = table["layout"], table["name"]
        if layout == "output":
            continue
        if layout == "single":
            path = f"{warehouse}/{table['path']}"
            if not os.path.exists(path):
                continue
            source = f"read_parquet('{path}')"
        else:
            if not glob.glob(f"{warehouse}/{name}/**/*.parquet", recursive=True):
                continue
            hive = "true" if layout == "partitioned" else "false"
            source = (f"read_parquet('{warehouse}/{name}/**/*.parquet', "
                      f"hive_partitioning = {hive}, union_by_name = true)")
        described = con.sql(f"DESCRIBE SELECT * FROM {source}").fetchall()
        got = [(row[0], row[1]) for row in described]
        if layout == "partitioned":
            # The hive keys come last, in an order that is DuckDB's to choose.
            check(sorted(got[-2:]) == [("release", "VARCHAR"), ("year", "BIGINT")],
                  f"{name}: hive keys {got[-2:]}")
            got = got[:-2]
        present = {n for n, _ in got}
        expected = [(c["name"], c["type"]) for c in table["columns"]
                    if not c["optional"] or c["name"] in present]
        check(got == expected, f"{name}: DuckDB reads {got}, the contract declares {expected}")
        checked.append(name)
    return checked


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    warehouse, mpfs = sys.argv[1], sys.argv[2]
    real = "--real" in sys.argv[3:]
    contract = json.loads(subprocess.run([mpfs, "schema", "--format", "json"], check=True,
                                         capture_output=True, text=True).stdout)
    con = duckdb.connect()
    checked = check_contract(con, warehouse, contract)
    for table in ["releases", "rvu", "gpci", "locality_county", "anes_cf", "opps_cap", "payment",
                  "quarantine", "conversion_factor", "rvu_history", "diff", "zip_locality",
                  "zip_releases", "zip_locality_change"]:
        check(table in checked, f"{table} was not built, so not checked against the contract")
    rvu = f"read_parquet('{warehouse}/rvu/**/*.parquet', hive_partitioning = true)"
    types = dict((r[0], r[1]) for r in con.sql(f"DESCRIBE SELECT * FROM {rvu}").fetchall())
    for column in ["hcpcs", "modifier", "global_days", "phys_supervision"]:
        check(types[column] == "VARCHAR", f"{column} is {types[column]}, expected VARCHAR")
    # CMS's numbers are exact decimals with CMS's places: RVU 2, conversion factor 4.
    for column, expected in [("work_rvu", "DECIMAL(9,2)"), ("pe_nonfac_rvu", "DECIMAL(9,2)"),
                             ("total_fac_rvu", "DECIMAL(9,2)"), ("conv_factor", "DECIMAL(9,4)")]:
        check(types[column] == expected, f"{column} is {types[column]}, expected {expected}")
    check(types["effective_from"] == "DATE", f"effective_from is {types['effective_from']}")
    check(types["pe_fac_na"] == "BOOLEAN", f"pe_fac_na is {types['pe_fac_na']}")

    counts = dict(
        ((y, r), n)
        for y, r, n in con.sql(
            f"SELECT year, release, count(*) FROM {rvu} GROUP BY ALL"
        ).fetchall()
    )
    check(counts.get((2024, "A")) == 30, f"2024A rows {counts.get((2024, 'A'))}")
    check(counts.get((2025, "A")) == 32, f"2025A rows {counts.get((2025, 'A'))}")
    row = con.sql(
        f"SELECT work_rvu, pe_nonfac_rvu, pe_fac_rvu, mp_rvu, conv_factor FROM {rvu} "
        "WHERE release_id = '2024B' AND hcpcs = '99213' AND modifier = ''"
    ).fetchall()
    check(row == [(D("1.31"), D("1.36"), D("0.56"), D("0.11"), D("33.2875"))],
          f"fixture 2024B 99213: {row}")

    if real:
        check(counts.get((2025, "D")) == 19090, f"2025D rows {counts.get((2025, 'D'))}")
        row = con.sql(
            f"SELECT work_rvu, pe_nonfac_rvu, pe_fac_rvu, mp_rvu, total_nonfac_rvu, "
            f"total_fac_rvu, global_days FROM {rvu} "
            "WHERE year = 2025 AND release = 'D' AND hcpcs = '99213' AND modifier = ''"
        ).fetchall()
        check(row == [(D("1.30"), D("1.35"), D("0.57"), D("0.10"), D("2.75"), D("1.97"), "XXX")],
              f"2025D 99213: {row}")
        n26 = con.sql(
            f"SELECT count(*) FROM {rvu} WHERE release_id = '2025D' AND modifier = '26'"
        ).fetchall()[0][0]
        check(n26 == 1127, f"2025D modifier 26 rows: {n26}")

    releases = con.sql(
        f"SELECT release_id, year, release FROM read_parquet('{warehouse}/releases/releases.parquet') "
        "ORDER BY effective_from"
    ).fetchall()
    expected = [("2015A", 2015, "A"), ("2023D", 2023, "D"), ("2024A", 2024, "A"),
                ("2024B", 2024, "B"), ("2025A", 2025, "A")]
    if real:
        expected.append(("2025D", 2025, "D"))
    expected.append(("2026A", 2026, "A"))
    check(releases == expected, f"releases {releases}")
    for table, rows in [("gpci", 7 + 7 + (109 if real else 0) + 7), ("opps_cap", None), ("locality_county", None),
                        ("anes_cf", None), ("quarantine", None)]:
        got = con.sql(f"SELECT count(*) FROM read_parquet('{warehouse}/{table}/**/*.parquet', "
                      "hive_partitioning = true)").fetchall()[0][0]
        check(rows is None or got == rows, f"{table}: {got} rows, expected {rows}")
    qp = con.sql(
        f"SELECT cf_variant, count(*), min(conv_factor), min(pricing_ind) FROM {rvu} "
        "WHERE release_id = '2026A' GROUP BY ALL ORDER BY ALL").fetchall()
    check(qp == [("non_qp", 31, D("33.4009"), "9"), ("qp", 24, D("33.5675"), "1")],
          f"2026A variants {qp}")
    # Money: DECIMAL with cents; sums are exact, not float sums.
    payment = f"read_parquet('{warehouse}/payment/**/*.parquet', hive_partitioning = true)"
    ptypes = dict((r[0], r[1]) for r in con.sql(f"DESCRIBE SELECT * FROM {payment}").fetchall())
    for column in ["nonfac_fee", "fac_fee", "nonfac_limiting_charge", "fac_limiting_charge"]:
        check(ptypes[column] == "DECIMAL(9,2)", f"payment {column} is {ptypes[column]}")
    gtypes = dict((r[0], r[1]) for r in con.sql(
        f"DESCRIBE SELECT * FROM read_parquet('{warehouse}/gpci/**/*.parquet')").fetchall())
    check(gtypes["pe_gpci"] == "DECIMAL(9,3)", f"pe_gpci is {gtypes['pe_gpci']}")
    total, cents = con.sql(
        f"SELECT sum(nonfac_fee), sum(CAST(round(nonfac_fee * 100) AS BIGINT)) FROM {payment}"
    ).fetchall()[0]
    check(isinstance(total, D) and total == D(cents) / 100, f"sum(nonfac_fee) {total} vs {cents} cents")
    # The views in sql/views.sql load and answer.
    import pathlib
    views = (pathlib.Path(__file__).resolve().parents[2] / "sql" / "views.sql").read_text()
    con.execute(f"SET VARIABLE mpfs_warehouse = '{warehouse}'")
    con.execute(views)
    national = con.sql(
        "SELECT nonfac_fee, fac_fee, description IS NOT NULL FROM payment_national "
        "WHERE release_id = '2025A' AND hcpcs = '99213' AND modifier = ''").fetchall()
    check(national == [(D("89.92"), D("64.05"), True)], f"payment_national 2025A 99213: {national}")
    alabama = con.sql(
        "SELECT nonfac_fee, state, locality_name FROM payment_by_locality "
        "WHERE release_id = '2025A' AND hcpcs = '76145' AND mac = '10112'").fetchall()
    check(alabama == [(D("825.49"), "AL", "ALABAMA")],
          f"payment_by_locality 76145 Alabama: {alabama}")
    current = con.sql("SELECT DISTINCT release_id FROM rvu_current").fetchall()
    check(current == [("2026A",)], f"rvu_current releases {current}")
    year_end = con.sql("SELECT DISTINCT release_id FROM rvu_year_end ORDER BY 1").fetchall()
    expected_year_end = [("2015A",), ("2023D",), ("2024B",), ("2025D",) if real else ("2025A",), ("2026A",)]
    check(year_end == expected_year_end, f"rvu_year_end releases {year_end}")
    history = con.sql(
        "SELECT release_id, work_rvu FROM rvu_history WHERE hcpcs = '99214' AND modifier = '' "
        "AND cf_variant IN ('standard', 'non_qp') AND release_id <> '2025D' ORDER BY effective_from").fetchall()
    check([w for _, w in history][-3:] == [D("1.93"), D("1.97"), D("1.97")],
          f"rvu_history 99214: {history}")
    cf = con.sql("SELECT count(*) FROM conversion_factor").fetchall()[0][0]
    check(cf == (8 if real else 7), f"conversion_factor rows {cf}")
    if real:
        sf = con.sql(
            "SELECT nonfac_fee FROM payment_by_locality WHERE release_id = '2025D' "
            "AND hcpcs = '76145' AND mac = '01112' AND locality = '05'").fetchall()
        check(sf == [(D("1339.81"),)], f"2025D 76145 01112 05: {sf}")
        al = con.sql(
            "SELECT nonfac_fee, fac_fee FROM payment_by_locality WHERE release_id = '2025D' "
            "AND hcpcs = '76145' AND mac = '10112' AND locality = '00'").fetchall()
        check(al == [(D("825.49"), D("825.49"))], f"2025D 76145 Alabama, exactly: {al}")

    # ZIP-locality: the views in sql/zip_views.sql, DuckDB joining ZIPs to GPCIs by date.
    zip_views = (pathlib.Path(__file__).resolve().parents[2] / "sql" / "zip_views.sql").read_text()
    con.execute(zip_views)
    ztypes = dict((r[0], r[1]) for r in con.sql("DESCRIBE SELECT * FROM zip_locality").fetchall())
    check(ztypes["zip5"] == "VARCHAR" and ztypes["plus_four_flag"] == "BOOLEAN", f"zip_locality types {ztypes}")
    quarters = con.sql("SELECT release_id, effective_from, effective_to FROM zip_releases ORDER BY 1").fetchall()
    check([q[0] for q in quarters] == ["2025Q3", "2025Q4"], f"zip_releases {quarters}")
    check(str(quarters[0][2]) == "2025-09-30" and quarters[1][2] is None, f"zip_releases dates {quarters}")
    calendar = con.sql("SELECT count(*) FROM release_calendar WHERE dataset = 'zip_locality'").fetchall()[0][0]
    check(calendar == 2, f"release_calendar ZIP quarters {calendar}")
    def gpci_on(zip5, day):
        return con.sql(
            "SELECT mac, locality, pe_gpci, pfs_release_id FROM zip_locality_gpci "
            f"WHERE zip5 = '{zip5}' AND plus4 IS NULL AND DATE '{day}' BETWEEN valid_from "
            "AND coalesce(valid_to, DATE '9999-12-31')").fetchall()
    # The synthetic 2025Q3 puts 90001 in Los Angeles, priced by the 2025A GPCI.
    la = gpci_on("90001", "2025-08-01")
    check(la == [("01182", "18", D("1.192"), "2025A")], f"90001 on 2025-08-01: {la}")
    if real:
        rows = con.sql("SELECT count(*), count(*) FILTER (WHERE plus_four_flag) FROM zip_locality "
                       "WHERE release_id = '2025Q4'").fetchall()[0]
        check(rows == (42956, 580), f"real ZIP5 2025Q4 rows {rows}")
        sf = gpci_on("94110", "2025-11-15")
        check(sf == [("01112", "05", D("1.419"), "2025D")], f"94110 on 2025-11-15: {sf}")
    else:
        sf = gpci_on("90001", "2025-10-15")
        check(sf == [("01112", "05", D("1.403"), "2025A")], f"90001 on 2025-10-15: {sf}")

    # CLFS: the views in sql/clfs_views.sql; the fixtures' 2025 Q1 has a V2 correction.
    clfs_views = (pathlib.Path(__file__).resolve().parents[2] / "sql" / "clfs_views.sql").read_text()
    con.execute(clfs_views)
    ctypes = dict((r[0], r[1]) for r in con.sql("DESCRIBE SELECT * FROM clfs").fetchall())
    check(ctypes["rate"] == "DECIMAL(9,2)" and ctypes["superseded"] == "BOOLEAN"
          and ctypes["effective_from"] == "DATE", f"clfs types {ctypes}")
    versions = con.sql("SELECT version, superseded, count(*) FROM clfs WHERE release_id = 'CLFS-2025Q1' "
                       "GROUP BY ALL ORDER BY 1").fetchall()
    check(versions == [(1, True, 8), (2, False, 8)], f"CLFS-2025Q1 versions {versions}")
    panel = con.sql("SELECT rate, effective_to FROM clfs_current WHERE hcpcs = '80053' AND modifier = '' "
                    "AND DATE '2025-02-10' BETWEEN effective_from AND effective_to").fetchall()
    check(panel == [(D("13.75"), datetime.date(2025, 3, 31))], f"80053 on 2025-02-10: {panel}")
    local = con.sql("SELECT rate FROM clfs_current WHERE hcpcs = '81479' AND release_id = 'CLFS-2025Q1'").fetchall()
    check(local == [(None,)], f"81479 is locally priced: {local}")
    pairs = con.sql("SELECT from_release, to_release, count(*) FROM clfs_change GROUP BY ALL ORDER BY 1").fetchall()
    if real:
        check(pairs[0] == ("CLFS-2025Q1", "CLFS-2026Q1", 4) and pairs[1][:2] == ("CLFS-2026Q1", "CLFS-2026Q3"),
              f"clfs_change pairs {pairs}")
        q3 = con.sql("SELECT count(*), count(*) FILTER (WHERE modifier = 'QW'), "
                     "max(rate) FILTER (WHERE hcpcs = '85025' AND modifier = '') "
                     "FROM clfs_current WHERE release_id = 'CLFS-2026Q3'").fetchall()[0]
        check(q3 == (2206, 125, D("7.77")), f"real CLFS 2026 Q3 {q3}")
    else:
        check(pairs == [("CLFS-2025Q1", "CLFS-2026Q1", 4)], f"clfs_change pairs {pairs}")

    # ASP: the views in sql/asp_views.sql; the fixtures' 2025 Q1 has a later posting.
    asp_views = (pathlib.Path(__file__).resolve().parents[2] / "sql" / "asp_views.sql").read_text()
    con.execute(asp_views)
    atypes = dict((r[0], r[1]) for r in con.sql("DESCRIBE SELECT * FROM asp").fetchall())
    check(atypes["payment_limit"] == "DECIMAL(12,3)" and atypes["coinsurance_pct"] == "DECIMAL(6,3)"
          and atypes["posted"] == "DATE", f"asp types {atypes}")
    postings = con.sql("SELECT posted, superseded, count(*) FROM asp WHERE release_id = 'ASP-2025Q1' "
                       "GROUP BY ALL ORDER BY 1").fetchall()
    check(postings == [(datetime.date(2024, 12, 19), True, 7), (datetime.date(2025, 3, 7), False, 7)],
          f"ASP-2025Q1 postings {postings}")
    factor = con.sql("SELECT payment_limit FROM asp_current WHERE hcpcs = 'J7213' "
                     "AND DATE '2025-02-10' BETWEEN effective_from AND effective_to").fetchall()
    check(factor == [(D("1.855"),)], f"J7213 on 2025-02-10: {factor}")
    if real:
        q4 = con.sql("SELECT count(*), max(payment_limit) FILTER (WHERE hcpcs = 'J9271'), "
                     "max(coinsurance_pct) FILTER (WHERE hcpcs = 'J0897') "
                     "FROM asp_current WHERE release_id = 'ASP-2025Q4'").fetchall()[0]
        check(q4 == (1012, D("60.291"), D("17.508")), f"real ASP 2025 Q4 {q4}")

    print(f"BI check passed: DuckDB {duckdb.__version__} read {sum(counts.values())} rvu rows "
          f"from {len(counts)} partitions; {len(checked)} tables match the declared contract")


if __name__ == "__main__":
    main()
