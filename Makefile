# mpfs: common tasks. `make help` lists them.
#
# Builds share one target directory outside the checkout when CARGO_TARGET_DIR is set
# (.ci/run sets it), so repeated runs do not rebuild polars.

CARGO      ?= cargo
# `make build` (what a site runs nightly) is optimised; the demo runs on a few small fixture
# releases, where the debug build is fast enough and takes a third of the time to compile
# (make demo PROFILE=release for the optimised binary).
PROFILE    ?= release
DEMO_PROFILE ?= $(if $(filter command line,$(origin PROFILE)),$(PROFILE),dev)
MIRROR     ?= fixtures/mirror
DATA       ?= data
SAMPLES    ?= ../shared/cms-samples
VENV       ?= .venv
PYTHON     ?= python3
TARGET_DIR := $(shell $(CARGO) metadata --format-version 1 --no-deps 2>/dev/null | $(PYTHON) -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])' 2>/dev/null || echo target)
PROFILE_DIR := $(if $(filter dev,$(PROFILE)),debug,$(PROFILE))
DEMO_DIR   := $(if $(filter dev,$(DEMO_PROFILE)),debug,$(DEMO_PROFILE))

.PHONY: help build demo test test-rust bi-check bench fixtures schema-docs fmt lint clean

help:
	@echo "make demo       build mpfs (debug) and run it on the bundled fixture mirror (offline)"
	@echo "make test       every test: cargo tests, then DuckDB reading a built warehouse"
	@echo "make build      build the mpfs binary (PROFILE=release by default)"
	@echo "make bench      benchmarks on the real CMS sample (release build; prints a table)"
	@echo "make fixtures   regenerate fixtures/mirror with the generator in crates/mpfs-synth"
	@echo "make schema-docs  rewrite the generated tables of docs/data-dictionary.md and sql/*.sql"
	@echo "make fmt        format the code"
	@echo "make lint       clippy with warnings denied, and rustfmt --check"

build:
	$(CARGO) build --locked --profile $(PROFILE)

# The main job, offline: `mpfs run` over the fixture mirror into $(DATA)/ (cache and
# warehouse). A second `make demo` finds nothing new and exits 4, which make reports.
demo:
	$(CARGO) build --locked --profile $(DEMO_PROFILE)
	$(TARGET_DIR)/$(DEMO_DIR)/mpfs run --mirror $(MIRROR) --data-dir $(DATA) || [ $$? -eq 4 ]
	@echo "Query it: duckdb -c \"SELECT year, release, count(*) FROM read_parquet('$(DATA)/warehouse/rvu/**/*.parquet', hive_partitioning=true) GROUP BY ALL\""

test: test-rust bi-check

# The crash-safety tests need the named fault points, compiled in only with this feature.
test-rust:
	$(CARGO) test --locked --workspace --features mpfs/fault-injection

# An independent reader (DuckDB, as BI tools use) on a warehouse built from the fixtures and,
# when present, the real CMS sample. DuckDB comes from PyPI into a local virtualenv.
bi-check:
	$(CARGO) build --locked -p mpfs
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -c 'import duckdb' 2>/dev/null || $(VENV)/bin/pip install --quiet 'duckdb==2.0.1'
	rm -rf $(TARGET_DIR)/bi-check && mkdir -p $(TARGET_DIR)/bi-check/mirror $(TARGET_DIR)/bi-check/readers
	cp $(MIRROR)/*.zip $(TARGET_DIR)/bi-check/mirror/
	# With the real samples, the real October 2025 ZIP5 file stands in for the synthetic 2025Q4.
	if [ -f $(SAMPLES)/zip5-oct2025.zip ]; then rm $(TARGET_DIR)/bi-check/mirror/zip-code-carrier-locality-file-oct2025.zip; \
	  cp $(SAMPLES)/zip5-oct2025.zip $(TARGET_DIR)/bi-check/mirror/; fi
	# and CMS's real 2026 Q3 CLFS quarter and October 2025 ASP file join the synthetic ones.
	if [ -f $(SAMPLES)/clfs_cy2026_q3v1.zip ]; then cp $(SAMPLES)/clfs_cy2026_q3v1.zip $(TARGET_DIR)/bi-check/mirror/; fi
	if [ -f $(SAMPLES)/october-2025-asp-pricing-file.zip ]; then cp $(SAMPLES)/october-2025-asp-pricing-file.zip $(TARGET_DIR)/bi-check/mirror/; fi
	if [ -f $(SAMPLES)/rvu25d.zip ]; then cp $(SAMPLES)/rvu25d.zip $(TARGET_DIR)/bi-check/mirror/; \
	elif [ "$$CI" = true ]; then echo "missing $(SAMPLES)/rvu25d.zip" >&2; exit 1; fi
	$(TARGET_DIR)/debug/mpfs -q build --mirror $(TARGET_DIR)/bi-check/mirror --warehouse $(TARGET_DIR)/bi-check/warehouse
	$(VENV)/bin/python tests/bi/check_warehouse.py $(TARGET_DIR)/bi-check/warehouse $(TARGET_DIR)/debug/mpfs \
	  $$([ -f $(TARGET_DIR)/bi-check/mirror/rvu25d.zip ] && echo --real)
	# DuckDB in a loop while mpfs run builds the same mirror plus two more releases.
	cp $(MIRROR)/rvu25a.zip $(TARGET_DIR)/bi-check/mirror/rvu25b.zip
	cp $(MIRROR)/rvu25a.zip $(TARGET_DIR)/bi-check/mirror/rvu25c.zip
	$(VENV)/bin/python tests/bi/readers_during_run.py $(TARGET_DIR)/debug/mpfs \
	  $(TARGET_DIR)/bi-check/mirror $(TARGET_DIR)/bi-check/readers

# Release-profile benchmarks over the real sample and a synthetic 4-year mirror; figures go to
# stdout (BENCHMARKS.md keeps the latest).
bench:
	$(CARGO) bench --locked --bench pipeline
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -c 'import pandas, pyarrow' 2>/dev/null || $(VENV)/bin/pip install --quiet 'pandas==2.3.3' 'pyarrow==21.0.0'
	@echo "the same payment computation in pandas, for comparison:"
	$(VENV)/bin/python benches/pandas_equivalent.py $(SAMPLES)/rvu25d.zip

fixtures:
	$(CARGO) run --locked -p mpfs-synth -- --out $(MIRROR)

# The data dictionary's tables and the per-table DuckDB views are generated from the
# declarations in src/schema; a test fails when they differ, and this rewrites them.
schema-docs:
	MPFS_BLESS=1 $(CARGO) test --locked --lib schema::docs

fmt:
	$(CARGO) fmt

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --locked --workspace --all-targets --features mpfs/fault-injection -- -D warnings

clean:
	$(CARGO) clean
	rm -rf $(DATA) $(VENV)
