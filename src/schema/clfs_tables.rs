//! The tables of CMS's Clinical Laboratory Fee Schedule: one `clfs` partition per quarter
//! (`clfs/year=2025/release=Q1`) holding every version of it posted, `clfs_releases` (one
//! row per version built), `clfs_change` per pair of neighbouring quarters built, and
//! `clfs_quarantine` for rejected rows (a table of its own: a CLFS quarter's partition key
//! would collide with a ZIP-locality quarter's in `quarantine`).

use super::column::{ColumnDef, Places};

/// `clfs`: one national rate per quarter, version, HCPCS and modifier.
pub mod clfs {
    use super::super::{Layout, TableDef};
    use super::{ColumnDef, Places};

    pub const RELEASE_ID: ColumnDef = ColumnDef::text("release_id", "the quarter, `CLFS-2025Q1`");
    pub const EFFECTIVE_FROM: ColumnDef =
        ColumnDef::date("effective_from", "the quarter's first day");
    pub const VERSION: ColumnDef = ColumnDef::int32(
        "version",
        "CMS's version of the quarter's file (`V1` is 1; a corrected file is 2)",
    );
    pub const SUPERSEDED: ColumnDef = ColumnDef::flag(
        "superseded",
        "a later version of the same quarter is built: use the rows where this is false",
    );
    pub const HCPCS: ColumnDef = ColumnDef::text("hcpcs", "[HCPCS] the lab test's code");
    pub const MODIFIER: ColumnDef = ColumnDef::text(
        "modifier",
        "[MOD] `\"\"` when none; `QW` for a CLIA-waived test (its own row)",
    );
    pub const INDICATOR: ColumnDef = ColumnDef::text(
        "indicator",
        "[INDICATOR] `N` national limitation amount, `L` locally priced (by the MAC)",
    );
    pub const RATE: ColumnDef = ColumnDef::decimal(
        "rate",
        Places::Fee,
        "[RATE] the national payment amount per unit; null for `L` rows",
    );
    pub const RATE_EFFECTIVE_DATE: ColumnDef = ColumnDef::date(
        "rate_effective_date",
        "[EFF_DATE] when the code's rate took effect (most on 1 January)",
    );
    pub const SHORT_DESCRIPTION: ColumnDef = ColumnDef::text(
        "short_description",
        "[SHORTDESC] AMA CPT short descriptor; null with `--no-descriptors`",
    );
    pub const LONG_DESCRIPTION: ColumnDef = ColumnDef::text(
        "long_description",
        "[LONGDESC] AMA CPT long descriptor (CSV and XLSX only); null with `--no-descriptors`",
    );
    pub const EXTENDED_DESCRIPTION: ColumnDef = ColumnDef::text(
        "extended_description",
        "[EXTENDED LONGDESC] CMS's extended descriptor; null with `--no-descriptors`",
    );
    pub const SOURCE_FILE: ColumnDef =
        ColumnDef::text("source_file", "the member read (`CLFS 2025 Q1V1.csv`)");
    pub const SOURCE_SHA256: ColumnDef =
        ColumnDef::text("source_sha256", "SHA-256 of the zip it came from");

    pub const TABLE: TableDef = TableDef {
        name: "clfs",
        layout: Layout::Partitioned,
        grain: "one row per quarter, version, hcpcs and modifier",
        about: "Source: CMS's Clinical Laboratory Fee Schedule, one partition per quarter (`release=Q1`) holding every version built; a corrected file (`V2`) supersedes the earlier one from the quarter's first day and both are kept. Lab tests are paid rate x units, no GPCI and no coinsurance.",
        columns: &[
            RELEASE_ID,
            EFFECTIVE_FROM,
            VERSION,
            SUPERSEDED,
            HCPCS,
            MODIFIER,
            INDICATOR,
            RATE,
            RATE_EFFECTIVE_DATE,
            SHORT_DESCRIPTION,
            LONG_DESCRIPTION,
            EXTENDED_DESCRIPTION,
            SOURCE_FILE,
            SOURCE_SHA256,
        ],
    };
}

/// `clfs_releases`: one row per CLFS version built.
pub mod clfs_releases {
    use super::super::{Layout, TableDef};
    use super::ColumnDef;

    pub use super::clfs::{EFFECTIVE_FROM, RELEASE_ID, SUPERSEDED, VERSION};
    pub const POSTING: ColumnDef = ColumnDef::text(
        "posting",
        "the quarter and version, `CLFS-2025Q1V1`: the id `mpfs` uses for one zip",
    );
    pub const YEAR: ColumnDef = ColumnDef::int32("year", "the quarter's year");
    pub const RELEASE: ColumnDef = ColumnDef::text("release", "the quarter, `Q1`");
    pub const EFFECTIVE_TO: ColumnDef = ColumnDef::date(
        "effective_to",
        "the quarter's last day: a quarter's file prices its own quarter only",
    );
    pub const ZIP_FILE: ColumnDef = ColumnDef::text("zip_file", "the zip's file name");
    pub const ZIP_SHA256: ColumnDef = ColumnDef::text("zip_sha256", "SHA-256 of the zip built");
    pub const MEMBER: ColumnDef = ColumnDef::text("member", "the member the rows were read from");
    pub const FORMAT: ColumnDef =
        ColumnDef::text("member_format", "its format: `csv`, `txt` or `xlsx`");
    pub const ROWS: ColumnDef = ColumnDef::int64("clfs_rows", "rows kept in `clfs`");
    pub const QUARANTINE_ROWS: ColumnDef =
        ColumnDef::int64("quarantine_rows", "rows rejected, in `clfs_quarantine`");
    pub const PARITY: ColumnDef = ColumnDef::text(
        "parity",
        "how the zip's other formats compared with the one read (`txt: same 2087 rows`), or why one could not be read",
    );
    pub const SCHEMA_VERSION: ColumnDef = ColumnDef::int32(
        "schema_version",
        "version of the CLFS tables' schema the version was built with",
    );

    pub const TABLE: TableDef = TableDef {
        name: "clfs_releases",
        layout: Layout::Single,
        grain: "one row per CLFS quarter and version built",
        about: "The view `clfs_calendar` in `sql/clfs_views.sql` lists the current version of each quarter with its dates.",
        columns: &[
            POSTING,
            RELEASE_ID,
            VERSION,
            YEAR,
            RELEASE,
            EFFECTIVE_FROM,
            EFFECTIVE_TO,
            SUPERSEDED,
            ZIP_FILE,
            ZIP_SHA256,
            MEMBER,
            FORMAT,
            ROWS,
            QUARANTINE_ROWS,
            PARITY,
            SCHEMA_VERSION,
        ],
    };
}

/// `clfs_change`: codes added, deleted or changed between neighbouring quarters.
pub mod clfs_change {
    use super::super::{Layout, TableDef};
    use super::{ColumnDef, Places};

    pub use super::clfs::{HCPCS, MODIFIER};
    pub const FROM_RELEASE: ColumnDef =
        ColumnDef::text("from_release", "the older quarter, `CLFS-2025Q1`");
    pub const FROM_VERSION: ColumnDef =
        ColumnDef::int32("from_version", "the older quarter's version compared");
    pub const TO_RELEASE: ColumnDef = ColumnDef::text("to_release", "the newer quarter");
    pub const TO_VERSION: ColumnDef =
        ColumnDef::int32("to_version", "the newer quarter's version compared");
    pub const CHANGE: ColumnDef = ColumnDef::text(
        "change",
        "`added`, `deleted`, or `changed` (rate or indicator differs)",
    );
    pub const OLD_INDICATOR: ColumnDef =
        ColumnDef::text("old_indicator", "indicator in the older quarter");
    pub const NEW_INDICATOR: ColumnDef =
        ColumnDef::text("new_indicator", "indicator in the newer quarter");
    pub const OLD_RATE: ColumnDef =
        ColumnDef::decimal("old_rate", Places::Fee, "rate in the older quarter");
    pub const NEW_RATE: ColumnDef =
        ColumnDef::decimal("new_rate", Places::Fee, "rate in the newer quarter");
    pub const RATE_CHANGE: ColumnDef = ColumnDef::decimal(
        "rate_change",
        Places::Fee,
        "new rate minus old, when both have one",
    );

    pub const TABLE: TableDef = TableDef {
        name: "clfs_change",
        layout: Layout::Pairs,
        grain: "one row per (hcpcs, modifier) added, deleted or changed between neighbouring quarters built (each quarter's current version)",
        about: "Neighbours are adjacent among the quarters built (with 2025Q3 missing, 2025Q2 -> 2025Q4). Refreshed by `run` and `build`; `mpfs diff --from CLFS-2025Q1 --to CLFS-2026Q3` compares any two.",
        columns: &[
            FROM_RELEASE,
            FROM_VERSION,
            TO_RELEASE,
            TO_VERSION,
            HCPCS,
            MODIFIER,
            CHANGE,
            OLD_INDICATOR,
            NEW_INDICATOR,
            OLD_RATE,
            NEW_RATE,
            RATE_CHANGE,
        ],
    };
}

/// `clfs_quarantine`: CLFS rows that failed a check.
pub mod clfs_quarantine {
    use super::super::{Layout, TableDef};
    use super::ColumnDef;

    pub use super::clfs::{EFFECTIVE_FROM, RELEASE_ID, SOURCE_FILE, VERSION};
    pub const LINE: ColumnDef = ColumnDef::int64(
        "line",
        "the row's line (CSV, TXT) or row number (XLSX) in its file",
    );
    pub const KEY: ColumnDef = ColumnDef::text("key", "HCPCS and modifier as read");
    pub const REASON: ColumnDef = ColumnDef::text("reason", "which check failed, and the value");

    pub const TABLE: TableDef = TableDef {
        name: "clfs_quarantine",
        layout: Layout::Partitioned,
        grain: "one row per rejected CLFS row",
        about: "Rows of the format read that failed a check (a code that is not 5 characters, a rate that is not a number, an indicator other than N or L, a duplicate (HCPCS, MOD)). Partitioned like `clfs`.",
        columns: &[
            RELEASE_ID,
            EFFECTIVE_FROM,
            VERSION,
            SOURCE_FILE,
            LINE,
            KEY,
            REASON,
        ],
    };
}
