#!/usr/bin/env python3
"""DuckDB reads an mpfs warehouse in a loop while `mpfs run` builds into it, as a dashboard
refreshing during the nightly job would.

Usage: readers_during_run.py MPFS MIRROR WORKDIR
  MIRROR  a folder of release zips (8 or more releases make the run long enough to overlap)

Every DuckDB query must succeed (a file may vanish between DuckDB's listing and its read
only when a release loses a table or an obsolete diff is removed, which a cold run never
does), and the final warehouse must equal, byte for byte, a run with no reader.
"""
import hashlib
import os
import subprocess
import sys
import time

import duckdb


def files(warehouse):
    """Every file of a warehouse except run reports, with its SHA-256."""
    found = {}
    for root, _dirs, names in os.walk(warehouse):
        for name in names:
            path = os.path.join(root, name)
            relative = os.path.relpath(path, warehouse)
            if relative.startswith("_runs"):
                continue
            with open(path, "rb") as f:
                found[relative] = hashlib.sha256(f.read()).hexdigest()
    return found


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    mpfs, mirror, work = sys.argv[1:]
    clean, busy = os.path.join(work, "clean"), os.path.join(work, "busy")
    subprocess.run([mpfs, "-qq", "run", "--mirror", mirror, "--data-dir", clean],
                   check=True, stdout=subprocess.DEVNULL)
    warehouse = os.path.join(busy, "warehouse")
    run = subprocess.Popen([mpfs, "-qq", "run", "--mirror", mirror, "--data-dir", busy],
                           stdout=subprocess.DEVNULL)
    queries = {
        "rvu": f"SELECT count(*) FROM read_parquet('{warehouse}/rvu/**/*.parquet', hive_partitioning = true)",
        "payment": f"SELECT sum(nonfac_fee) FROM read_parquet('{warehouse}/payment/**/*.parquet', hive_partitioning = true)",
        "releases": f"SELECT count(*) FROM '{warehouse}/releases/releases.parquet'",
        "diff": f"SELECT count(*) FROM read_parquet('{warehouse}/diff/**/*.parquet', union_by_name = true)",
    }
    con = duckdb.connect()
    done, errors = 0, []
    while run.poll() is None:
        for name, sql in queries.items():
            try:
                con.sql(sql).fetchall()
                done += 1
            except duckdb.IOException as e:
                # Nothing published yet for that table: not an error of a reader.
                if "No files found" not in str(e):
                    errors.append(f"{name}: {e}")
            except duckdb.Error as e:
                errors.append(f"{name}: {e}")
        time.sleep(0.05)
    if run.returncode != 0:
        sys.exit(f"readers check failed: mpfs run exited {run.returncode}")
    if errors:
        sys.exit("readers check failed: DuckDB queries failed during the run:\n  " + "\n  ".join(errors[:10]))
    if done == 0:
        sys.exit("readers check failed: no query ran while mpfs run was running")
    got, want = files(warehouse), files(os.path.join(clean, "warehouse"))
    if got != want:
        differ = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))
        sys.exit(f"readers check failed: the warehouse differs from a clean run in {differ[:10]}")
    print(f"readers check passed: {done} DuckDB queries during the run, none failed; "
          f"the warehouse equals a clean run's ({len(got)} files)")


if __name__ == "__main__":
    main()
