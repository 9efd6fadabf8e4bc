//! The tables of CMS's Zip Code to Carrier Locality File: one `zip_locality` partition per
//! quarter (`release=Q1`..`Q4`), `zip_releases`, and `zip_locality_change` per pair of
//! neighbouring quarters. Rejected records are in `quarantine` under the quarter's partition,
//! `kind` `ZIP5` or `ZIP9`.

use super::column::ColumnDef;

/// `zip_locality`: ZIP (and ZIP+4) to MAC and locality, per quarter.
pub mod zip_locality {
    use super::super::{Layout, TableDef};
    use super::ColumnDef;

    pub const RELEASE_ID: ColumnDef = ColumnDef::text("release_id", "the quarter, `2025Q4`");
    pub const EFFECTIVE_FROM: ColumnDef =
        ColumnDef::date("effective_from", "the quarter's first day");
    pub const ZIP5: ColumnDef = ColumnDef::text("zip5", "the ZIP code, 5 digits");
    pub const PLUS4: ColumnDef = ColumnDef::text(
        "plus4",
        "the +4 of a split ZIP's ZIP9 rows; null on ZIP5 rows",
    );
    pub const STATE: ColumnDef = ColumnDef::text("state", "2-letter state code");
    pub const MAC: ColumnDef = ColumnDef::text("mac", "the MAC (CMS's carrier), 5 characters");
    pub const LOCALITY: ColumnDef = ColumnDef::text("locality", "the pricing locality");
    pub const RURAL_INDICATOR: ColumnDef = ColumnDef::text(
        "rural_indicator",
        "`urban`, `rural`, `super_rural` (CMS's blank, `R`, `B`)",
    );
    pub const LAB_CB_LOCALITY: ColumnDef = ColumnDef::text(
        "lab_cb_locality",
        "ZIP5 only: the lab competitive-bid locality (`Z1`, `Z2`, `Z9`)",
    );
    pub const PLUS_FOUR_FLAG: ColumnDef = ColumnDef::flag(
        "plus_four_flag",
        "the ZIP is split between localities: look it up by +4",
    );
    pub const PART_B_PAYMENT_INDICATOR: ColumnDef =
        ColumnDef::text("part_b_payment_indicator", "CMS's Part B payment indicator");
    pub const YEAR_QUARTER: ColumnDef =
        ColumnDef::text("year_quarter", "CMS's year and quarter, `20254`");
    pub const SOURCE_FILE: ColumnDef =
        ColumnDef::text("source_file", "the member read (`ZIP5_OCT2025.txt`)");

    pub const TABLE: TableDef = TableDef {
        name: "zip_locality",
        layout: Layout::Partitioned,
        grain: "one row per quarter, zip5 and plus4 (null for ZIP5 rows)",
        about: "Source: CMS's Zip Code to Carrier Locality File (ZIP5 and ZIP9 records), one partition per quarter. CMS keeps only the current quarter online; mpfs keeps every quarter it has seen.",
        columns: &[
            RELEASE_ID,
            EFFECTIVE_FROM,
            ZIP5,
            PLUS4,
            STATE,
            MAC,
            LOCALITY,
            RURAL_INDICATOR,
            LAB_CB_LOCALITY,
            PLUS_FOUR_FLAG,
            PART_B_PAYMENT_INDICATOR,
            YEAR_QUARTER,
            SOURCE_FILE,
        ],
    };
}

/// `zip_releases`: one row per ZIP-locality quarter built.
pub mod zip_releases {
    use super::super::{Layout, TableDef};
    use super::ColumnDef;

    pub use super::zip_locality::{EFFECTIVE_FROM, RELEASE_ID};
    pub const YEAR: ColumnDef = ColumnDef::int32("year", "the quarter's year");
    pub const RELEASE: ColumnDef = ColumnDef::text("release", "the quarter, `Q4`");
    pub const EFFECTIVE_TO: ColumnDef = ColumnDef::date(
        "effective_to",
        "the day before the next quarter built; null for the latest",
    );
    pub const ZIP_FILE: ColumnDef = ColumnDef::text("zip_file", "the zip's file name");
    pub const ZIP_SHA256: ColumnDef = ColumnDef::text("zip_sha256", "SHA-256 of the zip built");
    pub const ZIP5_ROWS: ColumnDef = ColumnDef::int64("zip5_rows", "ZIP5 rows kept");
    pub const ZIP9_ROWS: ColumnDef = ColumnDef::int64("zip9_rows", "ZIP9 rows kept");
    pub const QUARANTINE_ROWS: ColumnDef =
        ColumnDef::int64("quarantine_rows", "records rejected, in `quarantine`");
    pub const GPCI_RELEASE: ColumnDef = ColumnDef::text(
        "gpci_release",
        "the PFS release whose GPCI checked the MAC/locality pairs; null when none was in force",
    );
    pub const SCHEMA_VERSION: ColumnDef = ColumnDef::int32(
        "schema_version",
        "version of the ZIP tables' schema the quarter was built with",
    );

    pub const TABLE: TableDef = TableDef {
        name: "zip_releases",
        layout: Layout::Single,
        grain: "one row per ZIP-locality quarter built",
        about: "The PFS `releases` table stays PFS-only (its consumers key on PFS release ids); the view `release_calendar` in `sql/zip_views.sql` lists both kinds of period together.",
        columns: &[
            RELEASE_ID,
            YEAR,
            RELEASE,
            EFFECTIVE_FROM,
            EFFECTIVE_TO,
            ZIP_FILE,
            ZIP_SHA256,
            ZIP5_ROWS,
            ZIP9_ROWS,
            QUARANTINE_ROWS,
            GPCI_RELEASE,
            SCHEMA_VERSION,
        ],
    };
}

/// `zip_locality_change`: ZIPs that changed between neighbouring quarters.
pub mod zip_locality_change {
    use super::super::{Layout, TableDef};
    use super::ColumnDef;

    pub use super::zip_locality::{PLUS4, STATE, ZIP5};
    pub const FROM_RELEASE: ColumnDef = ColumnDef::text("from_release", "the older quarter");
    pub const TO_RELEASE: ColumnDef = ColumnDef::text("to_release", "the newer quarter");
    pub const CHANGE: ColumnDef =
        ColumnDef::text("change", "`added`, `removed`, `moved` or `rural_changed`");
    pub const OLD_MAC: ColumnDef = ColumnDef::text("old_mac", "MAC in the older quarter");
    pub const OLD_LOCALITY: ColumnDef =
        ColumnDef::text("old_locality", "locality in the older quarter");
    pub const NEW_MAC: ColumnDef = ColumnDef::text("new_mac", "MAC in the newer quarter");
    pub const NEW_LOCALITY: ColumnDef =
        ColumnDef::text("new_locality", "locality in the newer quarter");
    pub const OLD_RURAL_INDICATOR: ColumnDef = ColumnDef::text(
        "old_rural_indicator",
        "rural indicator in the older quarter",
    );
    pub const NEW_RURAL_INDICATOR: ColumnDef = ColumnDef::text(
        "new_rural_indicator",
        "rural indicator in the newer quarter",
    );

    pub const TABLE: TableDef = TableDef {
        name: "zip_locality_change",
        layout: Layout::Pairs,
        grain: "one row per ZIP (or ZIP+4) that changed between neighbouring quarters",
        about: "Refreshed by `run` and `build` for each pair of neighbouring quarters built.",
        columns: &[
            FROM_RELEASE,
            TO_RELEASE,
            ZIP5,
            PLUS4,
            STATE,
            CHANGE,
            OLD_MAC,
            OLD_LOCALITY,
            NEW_MAC,
            NEW_LOCALITY,
            OLD_RURAL_INDICATOR,
            NEW_RURAL_INDICATOR,
        ],
    };
}
