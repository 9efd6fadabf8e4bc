#!/usr/bin/env python3
"""The same payment computation in pandas, for comparison with `mpfs build`.

Reads the PPRRVU and GPCI CSVs of rvu25d.zip, keeps payable rows (status A/R/T, no '+'),
cross-joins them with every locality plus the national row, computes both fees with CMS's
formula (rounded half up to cents), applies nothing else (no OPPS cap, no limiting charge:
mpfs does more), and writes Parquet. Prints wall seconds and peak RSS.

Usage: pandas_equivalent.py RVU25D_ZIP
"""
import io
import resource
import sys
import tempfile
import time
import zipfile

import numpy as np
import pandas as pd

start = time.perf_counter()
archive = zipfile.ZipFile(sys.argv[1])
names = {n.lower(): n for n in archive.namelist()}
pprrvu_name = next(names[n] for n in names if n.startswith("pprrvu") and n.endswith(".csv"))
gpci_name = next(names[n] for n in names if n.startswith("gpci") and n.endswith(".csv"))

rvu = pd.read_csv(io.BytesIO(archive.read(pprrvu_name)), skiprows=9, header=0, dtype=str,
                  encoding="cp1252", keep_default_na=False)
rvu = rvu.iloc[:, :31]
rvu.columns = range(31)
rvu = rvu[rvu[0].str.strip().str.len() == 5]
payable = rvu[rvu[3].isin(["A", "R", "T"]) & (rvu[4].str.strip() != "+")].copy()
for column in (5, 6, 8, 10, 24):
    payable[column] = payable[column].astype(float)

gpci = pd.read_csv(io.BytesIO(archive.read(gpci_name)), skiprows=2, header=0, dtype=str,
                   encoding="cp1252", keep_default_na=False)
gpci = gpci[gpci.iloc[:, 0].str.strip().str.isdigit()]
gpci = pd.DataFrame({"mac": gpci.iloc[:, 0], "locality": gpci.iloc[:, 2],
                     "w": gpci.iloc[:, 4].astype(float), "p": gpci.iloc[:, 5].astype(float),
                     "m": gpci.iloc[:, 6].astype(float)})
gpci = pd.concat([pd.DataFrame({"mac": ["00000"], "locality": ["00"], "w": [1.0], "p": [1.0], "m": [1.0]}), gpci])

joined = payable[[0, 1, 5, 6, 8, 10, 24]].merge(gpci, how="cross")
def fee(pe):
    raw = (joined[5] * joined["w"] + joined[pe] * joined["p"] + joined[10] * joined["m"]) * joined[24]
    return np.floor(raw * 100 + 0.5) / 100
out = pd.DataFrame({"hcpcs": joined[0], "modifier": joined[1], "mac": joined["mac"],
                    "locality": joined["locality"], "nonfac_fee": fee(6), "fac_fee": fee(8)})
with tempfile.TemporaryDirectory() as tmp:
    out.to_parquet(f"{tmp}/payment.parquet", compression="zstd")
elapsed = time.perf_counter() - start
peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"pandas {pd.__version__}: {len(out)} payment rows in {elapsed:.2f} s, peak {peak_mib:.0f} MiB")
