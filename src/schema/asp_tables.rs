//! The tables of CMS's ASP drug pricing file: one `asp` partition per quarter
//! (`asp/year=2025/release=Q1`) holding every posting of it (CMS posts corrections of past
//! quarters), `asp_releases` (one row per posting built), `asp_change` per pair of
//! neighbouring quarters built, and `asp_quarantine` for rejected rows.

use super::column::{ColumnDef, Places};

/// `asp`: a payment limit per quarter, posting and HCPCS billing unit.
pub mod asp {
    use super::super::{Layout, TableDef};
    use super::{ColumnDef, Places};

    pub const RELEASE_ID: ColumnDef = ColumnDef::text("release_id", "the quarter, `ASP-2025Q1`");
    pub const EFFECTIVE_FROM: ColumnDef = ColumnDef::date(
        "effective_from",
        "first day of the file's period (\"Effective January 1, 2025 through ...\")",
    );
    pub const EFFECTIVE_TO: ColumnDef =
        ColumnDef::date("effective_to", "last day of the file's period");
    pub const POSTED: ColumnDef = ColumnDef::date(
        "posted",
        "when CMS posted the file, from its member's name (`...030725.csv`: 2025-03-07); null when the name has no date",
    );
    pub const SUPERSEDED: ColumnDef = ColumnDef::flag(
        "superseded",
        "a later posting of the same quarter is built: use the rows where this is false",
    );
    pub const HCPCS: ColumnDef = ColumnDef::text("hcpcs", "[HCPCS Code] the drug's code");
    pub const SHORT_DESCRIPTION: ColumnDef = ColumnDef::text(
        "short_description",
        "[Short Description] CMS's short description; null with `--no-descriptors`",
    );
    pub const DOSAGE: ColumnDef = ColumnDef::text(
        "dosage",
        "[HCPCS Code Dosage] the billing unit as printed (`1 MG`, `0.5 ML`): claim units count these",
    );
    pub const PAYMENT_LIMIT: ColumnDef = ColumnDef::decimal(
        "payment_limit",
        Places::DrugLimit,
        "[Payment Limit] dollars per billing unit; null where CMS prints `N/A`",
    );
    pub const COINSURANCE_PCT: ColumnDef = ColumnDef::decimal(
        "coinsurance_pct",
        Places::Percent,
        "[Co-insurance Percentage] the beneficiary's share of the allowed amount, in percent (20.000; lower for inflation-adjusted drugs; 0.000 for vaccines)",
    );
    pub const VACCINE_AWP_PCT: ColumnDef = ColumnDef::decimal(
        "vaccine_awp_pct",
        Places::Percent,
        "[Vaccine AWP%] for vaccines priced at a share of the average wholesale price",
    );
    pub const VACCINE_LIMIT: ColumnDef = ColumnDef::decimal(
        "vaccine_limit",
        Places::DrugLimit,
        "[Vaccine Limit] the vaccine's limit per billing unit",
    );
    pub const BLOOD_AWP_PCT: ColumnDef = ColumnDef::decimal(
        "blood_awp_pct",
        Places::Percent,
        "[Blood AWP%] for blood products priced at a share of AWP",
    );
    pub const BLOOD_LIMIT: ColumnDef = ColumnDef::decimal(
        "blood_limit",
        Places::DrugLimit,
        "[Blood limit] the blood product's limit per billing unit",
    );
    pub const CLOTTING_FACTOR: ColumnDef = ColumnDef::flag(
        "clotting_factor",
        "[Clotting Factor] a clotting factor: claims add a furnishing fee per unit, not in this file",
    );
    pub const NOTES: ColumnDef = ColumnDef::text(
        "notes",
        "[Notes] CMS's note (`Inflation-adjusted coinsurance`, `Updated April 2025`); null when none",
    );
    pub const SOURCE_FILE: ColumnDef = ColumnDef::text(
        "source_file",
        "the member read (`section 508 version of Jan 2025 ASP Pricing File updated 030725.csv`)",
    );
    pub const SOURCE_SHA256: ColumnDef =
        ColumnDef::text("source_sha256", "SHA-256 of the zip it came from");

    pub const TABLE: TableDef = TableDef {
        name: "asp",
        layout: Layout::Partitioned,
        grain: "one row per quarter, posting and hcpcs",
        about: "Source: CMS's ASP pricing file (Payment Allowance Limits for Medicare Part B Drugs), one partition per quarter (`release=Q1`) holding every posting built; a later posting of the same quarter (a correction) supersedes the earlier one for the whole quarter and both are kept. A drug line is paid units x payment limit, with the file's coinsurance percentage.",
        columns: &[
            RELEASE_ID,
            EFFECTIVE_FROM,
            EFFECTIVE_TO,
            POSTED,
            SUPERSEDED,
            HCPCS,
            SHORT_DESCRIPTION,
            DOSAGE,
            PAYMENT_LIMIT,
            COINSURANCE_PCT,
            VACCINE_AWP_PCT,
            VACCINE_LIMIT,
            BLOOD_AWP_PCT,
            BLOOD_LIMIT,
            CLOTTING_FACTOR,
            NOTES,
            SOURCE_FILE,
            SOURCE_SHA256,
        ],
    };
}

/// `asp_releases`: one row per ASP posting built.
pub mod asp_releases {
    use super::super::{Layout, TableDef};
    use super::ColumnDef;

    pub use super::asp::{EFFECTIVE_FROM, EFFECTIVE_TO, POSTED, RELEASE_ID, SUPERSEDED};
    pub const POSTING: ColumnDef = ColumnDef::text(
        "posting",
        "the quarter and posting date, `ASP-2025Q1@2025-03-07`: the id `mpfs` uses for one zip",
    );
    pub const YEAR: ColumnDef = ColumnDef::int32("year", "the quarter's year");
    pub const RELEASE: ColumnDef = ColumnDef::text("release", "the quarter, `Q1`");
    pub const ZIP_FILE: ColumnDef = ColumnDef::text("zip_file", "the zip's file name");
    pub const ZIP_SHA256: ColumnDef = ColumnDef::text("zip_sha256", "SHA-256 of the zip built");
    pub const MEMBER: ColumnDef = ColumnDef::text("member", "the member the rows were read from");
    pub const FORMAT: ColumnDef =
        ColumnDef::text("member_format", "its format: `csv`, `xls` or `xlsx`");
    pub const ROWS: ColumnDef = ColumnDef::int64("asp_rows", "rows kept in `asp`");
    pub const QUARANTINE_ROWS: ColumnDef =
        ColumnDef::int64("quarantine_rows", "rows rejected, in `asp_quarantine`");
    pub const PARITY: ColumnDef = ColumnDef::text(
        "parity",
        "how the zip's workbook compared with the CSV read (`xls: same 877 rows`), or why it could not be read",
    );
    pub const SCHEMA_VERSION: ColumnDef = ColumnDef::int32(
        "schema_version",
        "version of the ASP tables' schema the posting was built with",
    );

    pub const TABLE: TableDef = TableDef {
        name: "asp_releases",
        layout: Layout::Single,
        grain: "one row per ASP quarter and posting built",
        about: "A quarter's postings are told apart by `posted`; the latest is current.",
        columns: &[
            POSTING,
            RELEASE_ID,
            POSTED,
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

/// `asp_change`: codes added, deleted or repriced between neighbouring quarters.
pub mod asp_change {
    use super::super::{Layout, TableDef};
    use super::{ColumnDef, Places};

    pub use super::asp::HCPCS;
    pub const FROM_RELEASE: ColumnDef =
        ColumnDef::text("from_release", "the older quarter, `ASP-2025Q1`");
    pub const FROM_POSTED: ColumnDef =
        ColumnDef::date("from_posted", "the older quarter's posting compared");
    pub const TO_RELEASE: ColumnDef = ColumnDef::text("to_release", "the newer quarter");
    pub const TO_POSTED: ColumnDef =
        ColumnDef::date("to_posted", "the newer quarter's posting compared");
    pub const CHANGE: ColumnDef = ColumnDef::text(
        "change",
        "`added`, `deleted`, or `changed` (the payment limit differs)",
    );
    pub const OLD_LIMIT: ColumnDef = ColumnDef::decimal(
        "old_payment_limit",
        Places::DrugLimit,
        "payment limit in the older quarter",
    );
    pub const NEW_LIMIT: ColumnDef = ColumnDef::decimal(
        "new_payment_limit",
        Places::DrugLimit,
        "payment limit in the newer quarter",
    );
    pub const LIMIT_CHANGE: ColumnDef = ColumnDef::decimal(
        "limit_change",
        Places::DrugLimit,
        "new limit minus old, when both have one",
    );
    pub const OLD_COINSURANCE: ColumnDef = ColumnDef::decimal(
        "old_coinsurance_pct",
        Places::Percent,
        "coinsurance percentage in the older quarter",
    );
    pub const NEW_COINSURANCE: ColumnDef = ColumnDef::decimal(
        "new_coinsurance_pct",
        Places::Percent,
        "coinsurance percentage in the newer quarter",
    );

    pub const TABLE: TableDef = TableDef {
        name: "asp_change",
        layout: Layout::Pairs,
        grain: "one row per hcpcs added, deleted or repriced between neighbouring quarters built (each quarter's current posting)",
        about: "Neighbours are adjacent among the quarters built. Refreshed by `run` and `build`; `mpfs diff --from ASP-2025Q1 --to ASP-2025Q4` compares any two, and `--from ASP-2025Q1@2024-12-19 --to ASP-2025Q1@2025-03-07` two postings of one quarter.",
        columns: &[
            FROM_RELEASE,
            FROM_POSTED,
            TO_RELEASE,
            TO_POSTED,
            HCPCS,
            CHANGE,
            OLD_LIMIT,
            NEW_LIMIT,
            LIMIT_CHANGE,
            OLD_COINSURANCE,
            NEW_COINSURANCE,
        ],
    };
}

/// `asp_quarantine`: ASP rows that failed a check.
pub mod asp_quarantine {
    use super::super::{Layout, TableDef};
    use super::ColumnDef;

    pub use super::asp::{EFFECTIVE_FROM, POSTED, RELEASE_ID, SOURCE_FILE};
    pub const LINE: ColumnDef = ColumnDef::int64(
        "line",
        "the row's line (CSV) or row number (workbook) in its file",
    );
    pub const KEY: ColumnDef = ColumnDef::text("key", "the HCPCS code as read");
    pub const REASON: ColumnDef = ColumnDef::text("reason", "which check failed, and the value");

    pub const TABLE: TableDef = TableDef {
        name: "asp_quarantine",
        layout: Layout::Partitioned,
        grain: "one row per rejected ASP row",
        about: "Rows of the format read that failed a check (a code that is not 5 characters, a limit that is neither a number nor N/A, a coinsurance outside 0-100, a duplicate code). Partitioned like `asp`.",
        columns: &[
            RELEASE_ID,
            EFFECTIVE_FROM,
            POSTED,
            SOURCE_FILE,
            LINE,
            KEY,
            REASON,
        ],
    };
}
