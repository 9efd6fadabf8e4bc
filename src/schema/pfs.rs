//! The tables of the Physician Fee Schedule: one partition per release of `rvu`, `gpci`,
//! `locality_county`, `anes_cf`, `opps_cap`, `payment` and `quarantine`; the whole-warehouse
//! `releases`, `conversion_factor` and `rvu_history`; and `diff` per pair of releases.
//!
//! CMS's column name is in brackets where the value is CMS's own.

use super::column::{ColumnDef, Places};

/// Columns several tables share.
pub mod common {
    use super::{ColumnDef, Places};

    pub const RELEASE_ID: ColumnDef =
        ColumnDef::text("release_id", "release, such as `2025D` or `2024AR`");
    pub const EFFECTIVE_FROM: ColumnDef = ColumnDef::date(
        "effective_from",
        "date the release takes effect (quarter start; the announced date for corrections such as 2024AR, 2024-03-09)",
    );
    pub const EFFECTIVE_TO: ColumnDef = ColumnDef::date(
        "effective_to",
        "the day before the next built release takes effect, never past the release's year; null while current",
    );
    pub const YEAR: ColumnDef = ColumnDef::int32("year", "the release's year");
    pub const RELEASE: ColumnDef = ColumnDef::text(
        "release",
        "the release's letter part (`A`, `AR`, `B`, `C`, `D`)",
    );
    pub const CF_VARIANT: ColumnDef = ColumnDef::text(
        "cf_variant",
        "`standard` before 2026; `non_qp` / `qp` from 2026 (`_nonQPP` / `_QPP` files)",
    );
    pub const HCPCS: ColumnDef = ColumnDef::text(
        "hcpcs",
        "[HCPCS] procedure code, 5 characters, leading zeros kept",
    );
    pub const MODIFIER: ColumnDef = ColumnDef::text(
        "modifier",
        "[MOD] `26`, `TC`, `53` ...; `\"\"` when none, never null",
    );
    pub const MAC: ColumnDef =
        ColumnDef::text("mac", "Medicare Administrative Contractor, 5 characters");
    pub const LOCALITY: ColumnDef = ColumnDef::text(
        "locality",
        "payment locality, 2 characters; unique only within a MAC",
    );
    pub const SOURCE_FILE: ColumnDef =
        ColumnDef::text("source_file", "the zip member the row came from");
    pub const SOURCE_SHA256: ColumnDef = ColumnDef::text("source_sha256", "SHA-256 of that member");
    /// An RVU (or a share of one): two places.
    pub const fn rvu_value(name: &'static str, meaning: &'static str) -> ColumnDef {
        ColumnDef::decimal(name, Places::Rvu, meaning)
    }
}

use common::*;

/// `releases`: one row per built release.
pub mod releases {
    use super::super::{Layout, TableDef};
    use super::*;

    pub use super::common::{EFFECTIVE_FROM, EFFECTIVE_TO, RELEASE, RELEASE_ID, YEAR};
    pub const ZIP_FILE: ColumnDef = ColumnDef::text("zip_file", "the release zip's file name");
    pub const ZIP_SHA256: ColumnDef =
        ColumnDef::text("zip_sha256", "SHA-256 of the release zip that was built");
    pub const ZIP_BYTES: ColumnDef = ColumnDef::int64("zip_bytes", "size of that zip");
    pub const SCHEMA_VERSION: ColumnDef = ColumnDef::int32(
        "schema_version",
        "version of mpfs's output schema the release was built with (an older one is rebuilt)",
    );
    pub const RVU_ROWS: ColumnDef = ColumnDef::int64("rvu_rows", "rows in `rvu`");
    pub const PAYMENT_ROWS: ColumnDef = ColumnDef::int64(
        "payment_rows",
        "rows in `payment` (0 for a release without GPCI)",
    );
    pub const QUARANTINE_ROWS: ColumnDef = ColumnDef::int64(
        "quarantine_rows",
        "source rows that failed a check, in `quarantine`",
    );
    pub const MISSING_KINDS: ColumnDef = ColumnDef::text(
        "missing_kinds",
        "kinds the zip lacks, comma-separated (`LOCCO,ANES`); empty when none",
    );
    pub const FAILED_KINDS: ColumnDef = ColumnDef::text(
        "failed_kinds",
        "kinds the zip has that could not be read in any format, so the release was built without them; empty when none",
    );
    pub const KIND_ERRORS: ColumnDef = ColumnDef::text(
        "kind_errors",
        "one line per failed kind (`GPCI: GPCI2026.csv: ...; GPCI2026.txt: ...`), naming each file, line and cause",
    );

    pub const FORMATS_SET_ASIDE: ColumnDef = ColumnDef::text(
        "formats_set_aside",
        "one line per format not used because it could not be read or rejected rows while a twin format read (`PPRRVU PPRRVU2025_Oct.csv: ..., line 495, ...`): CMS shipped a damaged copy, the data is complete; empty when none",
    );

    pub const TABLE: TableDef = TableDef {
        name: "releases",
        layout: Layout::Single,
        grain: "one row per built release",
        about: "Rewritten on every build. `effective_to` depends on which later releases exist, so it lives only here, not in the per-release partitions, which stay untouched once published. A release without GPCI (missing or failed) has no `payment` rows.",
        columns: &[
            RELEASE_ID,
            YEAR,
            RELEASE,
            EFFECTIVE_FROM,
            EFFECTIVE_TO,
            ZIP_FILE,
            ZIP_SHA256,
            ZIP_BYTES,
            SCHEMA_VERSION,
            RVU_ROWS,
            PAYMENT_ROWS,
            QUARANTINE_ROWS,
            MISSING_KINDS,
            FAILED_KINDS,
            KIND_ERRORS,
            FORMATS_SET_ASIDE,
        ],
    };
}

/// `rvu`: the PPRRVU file, one row per variant, HCPCS and modifier.
pub mod rvu {
    use super::super::{Layout, TableDef};
    use super::*;

    pub use super::common::{
        CF_VARIANT, EFFECTIVE_FROM, HCPCS, MODIFIER, RELEASE_ID, SOURCE_FILE, SOURCE_SHA256,
    };
    pub const DESCRIPTION: ColumnDef = ColumnDef::text(
        "description",
        "[DESCRIPTION] AMA CPT short descriptor; null with `--no-descriptors`",
    );
    pub const STATUS_CODE: ColumnDef = ColumnDef::text(
        "status_code",
        "[STATUS CODE]; only A, R and T are paid under the fee schedule",
    );
    pub const NOT_USED_FOR_PAYMENT: ColumnDef = ColumnDef::flag(
        "not_used_for_payment",
        "[NOT USED FOR MEDICARE PAYMENT] `+`: the RVUs shown are not used for Medicare payment",
    );
    pub const WORK_RVU: ColumnDef = rvu_value("work_rvu", "[WORK RVU]");
    pub const PE_NONFAC_RVU: ColumnDef = rvu_value("pe_nonfac_rvu", "[NON-FAC PE RVU]");
    pub const PE_NONFAC_NA: ColumnDef = ColumnDef::flag(
        "pe_nonfac_na",
        "[NON-FAC NA INDICATOR] the service is not paid in the non-facility setting",
    );
    pub const PE_FAC_RVU: ColumnDef = rvu_value("pe_fac_rvu", "[FACILITY PE RVU]");
    pub const PE_FAC_NA: ColumnDef = ColumnDef::flag(
        "pe_fac_na",
        "[FACILITY NA INDICATOR] the service is not paid in the facility setting",
    );
    pub const MP_RVU: ColumnDef = rvu_value("mp_rvu", "[MP RVU] malpractice");
    pub const TOTAL_NONFAC_RVU: ColumnDef = rvu_value(
        "total_nonfac_rvu",
        "[NON-FACILITY TOTAL] work + non-facility PE + MP",
    );
    pub const TOTAL_FAC_RVU: ColumnDef =
        rvu_value("total_fac_rvu", "[FACILITY TOTAL] work + facility PE + MP");
    pub const PCTC_IND: ColumnDef = ColumnDef::text(
        "pctc_ind",
        "[PCTC IND] professional/technical component indicator, 0-9",
    );
    pub const GLOBAL_DAYS: ColumnDef = ColumnDef::text(
        "global_days",
        "[GLOB DAYS] `000`, `010`, `090`, `MMM`, `XXX`, `YYY`, `ZZZ`",
    );
    pub const PRE_OP: ColumnDef = rvu_value("pre_op", "[PRE OP] share of the global package");
    pub const INTRA_OP: ColumnDef = rvu_value("intra_op", "[INTRA OP] share of the global package");
    pub const POST_OP: ColumnDef = rvu_value("post_op", "[POST OP] share of the global package");
    pub const MULT_PROC: ColumnDef =
        ColumnDef::text("mult_proc", "[MULT PROC] multiple procedure indicator");
    pub const BILAT_SURG: ColumnDef =
        ColumnDef::text("bilat_surg", "[BILAT SURG] bilateral surgery indicator");
    pub const ASST_SURG: ColumnDef =
        ColumnDef::text("asst_surg", "[ASST SURG] assistant at surgery indicator");
    pub const CO_SURG: ColumnDef = ColumnDef::text("co_surg", "[CO-SURG] co-surgeons indicator");
    pub const TEAM_SURG: ColumnDef =
        ColumnDef::text("team_surg", "[TEAM SURG] team surgery indicator");
    pub const PRICING_IND: ColumnDef = ColumnDef::text(
        "pricing_ind",
        "[PRIC IND] from 2026 (`9` non-QP file, `1` QP file); null before",
    );
    pub const ENDO_BASE: ColumnDef = ColumnDef::text(
        "endo_base",
        "[ENDO BASE] endoscopic base code; null when blank",
    );
    pub const CONV_FACTOR: ColumnDef = ColumnDef::decimal(
        "conv_factor",
        Places::ConvFactor,
        "[CONV FACTOR] the release's conversion factor",
    );
    pub const PHYS_SUPERVISION: ColumnDef = ColumnDef::text(
        "phys_supervision",
        "[PHYSICIAN SUPERVISION OF DIAGNOSTIC PROCEDURES] `01`..`09`, `21`, `22`, `66`, `6A`, `77`, `7A`",
    );
    pub const CALC_FLAG: ColumnDef = ColumnDef::text("calc_flag", "[CALCULATION FLAG]");
    pub const DIAG_IMAGING_FAMILY: ColumnDef = ColumnDef::text(
        "diag_imaging_family",
        "[DIAGNOSTIC IMAGING FAMILY INDICATOR]",
    );
    pub const OPPS_PE_NONFAC_RVU: ColumnDef = rvu_value(
        "opps_pe_nonfac_rvu",
        "[NON-FACILITY PE USED FOR OPPS PAYMENT AMOUNT]",
    );
    pub const OPPS_PE_FAC_RVU: ColumnDef = rvu_value(
        "opps_pe_fac_rvu",
        "[FACILITY PE USED FOR OPPS PAYMENT AMOUNT]",
    );
    pub const OPPS_MP_RVU: ColumnDef =
        rvu_value("opps_mp_rvu", "[MP USED FOR OPPS PAYMENT AMOUNT]");

    /// The six RVUs a diff compares, in output order.
    pub const COMPARED_RVUS: [ColumnDef; 6] = [
        WORK_RVU,
        PE_NONFAC_RVU,
        PE_FAC_RVU,
        MP_RVU,
        TOTAL_NONFAC_RVU,
        TOTAL_FAC_RVU,
    ];

    pub const TABLE: TableDef = TableDef {
        name: "rvu",
        layout: Layout::Partitioned,
        grain: "one row per release, cf_variant, hcpcs and modifier",
        about: "Source: the PPRRVU file. Indicator columns that CMS leaves blank are null.",
        columns: &[
            RELEASE_ID,
            EFFECTIVE_FROM,
            CF_VARIANT,
            HCPCS,
            MODIFIER,
            DESCRIPTION,
            STATUS_CODE,
            NOT_USED_FOR_PAYMENT,
            WORK_RVU,
            PE_NONFAC_RVU,
            PE_NONFAC_NA,
            PE_FAC_RVU,
            PE_FAC_NA,
            MP_RVU,
            TOTAL_NONFAC_RVU,
            TOTAL_FAC_RVU,
            PCTC_IND,
            GLOBAL_DAYS,
            PRE_OP,
            INTRA_OP,
            POST_OP,
            MULT_PROC,
            BILAT_SURG,
            ASST_SURG,
            CO_SURG,
            TEAM_SURG,
            PRICING_IND,
            ENDO_BASE,
            CONV_FACTOR,
            PHYS_SUPERVISION,
            CALC_FLAG,
            DIAG_IMAGING_FAMILY,
            OPPS_PE_NONFAC_RVU,
            OPPS_PE_FAC_RVU,
            OPPS_MP_RVU,
            SOURCE_FILE,
            SOURCE_SHA256,
        ],
    };
}

/// `gpci`: the GPCI file ("Addendum E"), one row per payment locality.
pub mod gpci {
    use super::super::{Layout, TableDef};
    use super::*;

    pub use super::common::{
        EFFECTIVE_FROM, LOCALITY, MAC, RELEASE_ID, SOURCE_FILE, SOURCE_SHA256,
    };
    pub const STATE: ColumnDef = ColumnDef::text("state", "2-letter state code");
    pub const LOCALITY_NAME: ColumnDef =
        ColumnDef::text("locality_name", "locality name, footnote asterisks removed");
    pub const WORK_GPCI: ColumnDef = ColumnDef::decimal(
        "work_gpci",
        Places::Gpci,
        "[PW GPCI (with 1.0 Floor)] the work GPCI CMS prices with",
    );
    pub const WORK_GPCI_UNFLOORED: ColumnDef = ColumnDef::decimal(
        "work_gpci_unfloored",
        Places::Gpci,
        "[PW GPCI (without 1.0 Floor)], 2026 on; null before",
    );
    pub const PE_GPCI: ColumnDef = ColumnDef::decimal("pe_gpci", Places::Gpci, "[PE GPCI]");
    pub const MP_GPCI: ColumnDef = ColumnDef::decimal("mp_gpci", Places::Gpci, "[MP GPCI]");

    pub const TABLE: TableDef = TableDef {
        name: "gpci",
        layout: Layout::Partitioned,
        grain: "one row per release, mac and locality",
        about: "Source: the GPCI file (\"Addendum E\").",
        columns: &[
            RELEASE_ID,
            EFFECTIVE_FROM,
            MAC,
            STATE,
            LOCALITY,
            LOCALITY_NAME,
            WORK_GPCI,
            WORK_GPCI_UNFLOORED,
            PE_GPCI,
            MP_GPCI,
            SOURCE_FILE,
            SOURCE_SHA256,
        ],
    };
}

/// `locality_county`: the LOCCO file.
pub mod locality_county {
    use super::super::{Layout, TableDef};
    use super::*;

    pub use super::common::{
        EFFECTIVE_FROM, LOCALITY, MAC, RELEASE_ID, SOURCE_FILE, SOURCE_SHA256,
    };
    pub const STATE: ColumnDef = ColumnDef::text(
        "state",
        "the state's name as LOCCO prints it; null when CMS's copy gives none for the block",
    );
    pub const FEE_SCHEDULE_AREA: ColumnDef =
        ColumnDef::text("fee_schedule_area", "[Fee Schedule Area]");
    pub const COUNTIES: ColumnDef = ColumnDef::text("counties", "[Counties] as CMS lists them");

    pub const TABLE: TableDef = TableDef {
        name: "locality_county",
        layout: Layout::Partitioned,
        grain: "one row per release, mac and locality",
        about: "Source: the LOCCO file (localities to counties).",
        columns: &[
            RELEASE_ID,
            EFFECTIVE_FROM,
            MAC,
            LOCALITY,
            STATE,
            FEE_SCHEDULE_AREA,
            COUNTIES,
            SOURCE_FILE,
            SOURCE_SHA256,
        ],
    };
}

/// `anes_cf`: the ANES file.
pub mod anes_cf {
    use super::super::{Layout, TableDef};
    use super::*;

    pub use super::common::{
        CF_VARIANT, EFFECTIVE_FROM, LOCALITY, MAC, RELEASE_ID, SOURCE_FILE, SOURCE_SHA256,
    };
    pub const LOCALITY_NAME: ColumnDef = ColumnDef::text("locality_name", "locality name");
    pub const ANES_CF: ColumnDef = ColumnDef::decimal(
        "anes_cf",
        Places::ConvFactor,
        "the locality's anesthesia conversion factor",
    );
    pub const NATIONAL_ANES_CF: ColumnDef = ColumnDef::decimal(
        "national_anes_cf",
        Places::NationalAnesCf,
        "the national anesthesia CF the file's header states for that variant, as printed (2026: six places); null when the file states none (2024)",
    );

    pub const TABLE: TableDef = TableDef {
        name: "anes_cf",
        layout: Layout::Partitioned,
        grain: "one row per release, cf_variant, mac and locality",
        about: "Source: the ANES file. One row per locality before 2026 (`standard`); from 2026 two, `qp` (the first factor column) and `non_qp` (the second).",
        columns: &[
            RELEASE_ID,
            EFFECTIVE_FROM,
            CF_VARIANT,
            MAC,
            LOCALITY,
            LOCALITY_NAME,
            ANES_CF,
            NATIONAL_ANES_CF,
            SOURCE_FILE,
            SOURCE_SHA256,
        ],
    };
}

/// `opps_cap`: the OPPSCAP file.
pub mod opps_cap {
    use super::super::{Layout, TableDef};
    use super::*;

    pub use super::common::{
        EFFECTIVE_FROM, HCPCS, LOCALITY, MAC, MODIFIER, RELEASE_ID, SOURCE_FILE, SOURCE_SHA256,
    };
    pub const PROC_STATUS: ColumnDef = ColumnDef::text("proc_status", "[PROCSTAT]");
    pub const FAC_CAP: ColumnDef = ColumnDef::decimal(
        "fac_cap",
        Places::Fee,
        "[FACILITY PRICE] the OPPS cap in the facility setting, dollars",
    );
    pub const NONFAC_CAP: ColumnDef = ColumnDef::decimal(
        "nonfac_cap",
        Places::Fee,
        "[NON-FACILTY PRICE] the OPPS cap in the non-facility setting, dollars (a cap of $10,000,000 or more is quarantined)",
    );

    pub const TABLE: TableDef = TableDef {
        name: "opps_cap",
        layout: Layout::Partitioned,
        grain: "one row per release, hcpcs, modifier, mac and locality",
        about: "Source: the OPPSCAP file (OPPS payment caps for imaging; its [CARRIER] is `mac`).",
        columns: &[
            RELEASE_ID,
            EFFECTIVE_FROM,
            HCPCS,
            MODIFIER,
            PROC_STATUS,
            MAC,
            LOCALITY,
            FAC_CAP,
            NONFAC_CAP,
            SOURCE_FILE,
            SOURCE_SHA256,
        ],
    };
}

/// `payment`: what Medicare pays for each payable service in each locality.
pub mod payment {
    use super::super::{Layout, TableDef};
    use super::*;

    pub use super::common::{
        CF_VARIANT, EFFECTIVE_FROM, HCPCS, LOCALITY, MAC, MODIFIER, RELEASE_ID,
    };
    pub const NONFAC_FEE: ColumnDef = ColumnDef::decimal(
        "nonfac_fee",
        Places::Fee,
        "non-facility fee schedule amount, rounded to cents as CMS rounds, after the OPPS cap",
    );
    pub const FAC_FEE: ColumnDef = ColumnDef::decimal(
        "fac_fee",
        Places::Fee,
        "facility fee schedule amount, rounded to cents as CMS rounds, after the OPPS cap",
    );
    pub const NONFAC_NA: ColumnDef = ColumnDef::flag(
        "nonfac_na",
        "the non-facility NA indicator: an amount is still given, as CMS gives one, but the service is not paid in that setting",
    );
    pub const FAC_NA: ColumnDef = ColumnDef::flag("fac_na", "the facility NA indicator");
    pub const NONFAC_OPPS_CAPPED: ColumnDef = ColumnDef::flag(
        "nonfac_opps_capped",
        "the OPPS cap lowered the non-facility amount",
    );
    pub const FAC_OPPS_CAPPED: ColumnDef = ColumnDef::flag(
        "fac_opps_capped",
        "the OPPS cap lowered the facility amount",
    );
    pub const NONFAC_LIMITING_CHARGE: ColumnDef = ColumnDef::decimal(
        "nonfac_limiting_charge",
        Places::Fee,
        "non-facility limiting charge, for non-participating providers: 109.25% of the unrounded fee (of the cap when capped), rounded once, as CMS's Look-up Tool prints it",
    );
    pub const FAC_LIMITING_CHARGE: ColumnDef = ColumnDef::decimal(
        "fac_limiting_charge",
        Places::Fee,
        "facility limiting charge: 109.25% of the unrounded fee (of the cap when capped), rounded once",
    );

    pub const TABLE: TableDef = TableDef {
        name: "payment",
        layout: Layout::Partitioned,
        grain: "one row per release, cf_variant, hcpcs, modifier, mac and locality",
        about: "Computed from `rvu`, `gpci` and `opps_cap` for payable services (status A, R or T, no `+`). National amounts are the rows with `mac` `00000` and `locality` `00` (all GPCIs 1.0). The text columns are stored dictionary-encoded: DuckDB, Spark and pyarrow read them as strings, Polars as `Categorical`.",
        columns: &[
            RELEASE_ID,
            EFFECTIVE_FROM,
            CF_VARIANT,
            HCPCS,
            MODIFIER,
            MAC,
            LOCALITY,
            NONFAC_FEE,
            FAC_FEE,
            NONFAC_NA,
            FAC_NA,
            NONFAC_OPPS_CAPPED,
            FAC_OPPS_CAPPED,
            NONFAC_LIMITING_CHARGE,
            FAC_LIMITING_CHARGE,
        ],
    };
}

/// `quarantine`: source rows that failed a check.
pub mod quarantine {
    use super::super::{Layout, TableDef};
    use super::*;

    pub use super::common::{EFFECTIVE_FROM, RELEASE_ID, SOURCE_FILE};
    pub const KIND: ColumnDef = ColumnDef::text(
        "kind",
        "the file kind (`PPRRVU`, `GPCI`, ..., `ZIP5`, `ZIP9`)",
    );
    pub const LINE: ColumnDef = ColumnDef::int64("line", "CSV/TXT line or XLSX row");
    pub const KEY: ColumnDef = ColumnDef::text("key", "the row's key (`99213 26`, `01112 05`)");
    pub const REASON: ColumnDef = ColumnDef::text("reason", "why the row was rejected");

    pub const TABLE: TableDef = TableDef {
        name: "quarantine",
        layout: Layout::Partitioned,
        grain: "one row per rejected source row",
        about: "A release's (or ZIP-locality quarter's) rows that failed a check, kept with their file, line and reason instead of reaching a dashboard.",
        columns: &[
            RELEASE_ID,
            EFFECTIVE_FROM,
            KIND,
            SOURCE_FILE,
            LINE,
            KEY,
            REASON,
        ],
    };
}

/// `conversion_factor`: one row per effective period and variant.
pub mod conversion_factor {
    use super::super::{Layout, TableDef};
    use super::*;

    pub use super::common::CF_VARIANT;
    pub const YEAR: ColumnDef = ColumnDef::int32("year", "the fee-schedule year");
    pub const EFFECTIVE_FROM: ColumnDef =
        ColumnDef::date("effective_from", "first day of the period");
    pub const EFFECTIVE_TO: ColumnDef =
        ColumnDef::date("effective_to", "last day of the period; null while current");
    pub const CONV_FACTOR: ColumnDef = ColumnDef::decimal(
        "conv_factor",
        Places::ConvFactor,
        "the conversion factor, from PPRRVU's [CONV FACTOR]",
    );
    pub const ANES_CONV_FACTOR: ColumnDef = ColumnDef::decimal(
        "anes_conv_factor",
        Places::NationalAnesCf,
        "the national anesthesia CF from the ANES header, as printed (from 2026 each variant's own); null when the ANES file states none (2024) or the release has none",
    );
    pub const SOURCE: ColumnDef = ColumnDef::text("source", "the releases it comes from");

    pub const TABLE: TableDef = TableDef {
        name: "conversion_factor",
        layout: Layout::Single,
        grain: "one row per effective period and cf_variant",
        about: "Derived from the published `rvu` and `anes_cf` partitions on every build; consecutive releases of a year with the same factors form one period. Cross-checked against the factors CMS announced.",
        columns: &[
            YEAR,
            EFFECTIVE_FROM,
            EFFECTIVE_TO,
            CF_VARIANT,
            CONV_FACTOR,
            ANES_CONV_FACTOR,
            SOURCE,
        ],
    };
}

/// `rvu_history`: every code across every built release.
pub mod rvu_history {
    use super::super::{Layout, TableDef};
    use super::*;

    pub use super::common::{
        CF_VARIANT, EFFECTIVE_FROM, EFFECTIVE_TO, HCPCS, MODIFIER, RELEASE, RELEASE_ID, YEAR,
    };
    pub use super::rvu::{
        CONV_FACTOR, DESCRIPTION, GLOBAL_DAYS, MP_RVU, NOT_USED_FOR_PAYMENT, PE_FAC_RVU,
        PE_NONFAC_RVU, STATUS_CODE, TOTAL_FAC_RVU, TOTAL_NONFAC_RVU, WORK_RVU,
    };
    pub const NATIONAL_NONFAC_FEE: ColumnDef = ColumnDef::decimal(
        "national_nonfac_fee",
        Places::Fee,
        "the national non-facility amount, computed from the RVUs and CF with the payment table's exact arithmetic (also for releases without GPCI); null when not payable",
    );
    pub const NATIONAL_FAC_FEE: ColumnDef = ColumnDef::decimal(
        "national_fac_fee",
        Places::Fee,
        "the national facility amount; null when not payable",
    );

    pub const TABLE: TableDef = TableDef {
        name: "rvu_history",
        layout: Layout::Single,
        grain: "one row per hcpcs, modifier, cf_variant and release",
        about: "Rebuilt on every build from the published partitions, sorted by code and date, so a dashboard charts a code's trajectory without joins.",
        columns: &[
            HCPCS,
            MODIFIER,
            CF_VARIANT,
            RELEASE_ID,
            YEAR,
            RELEASE,
            EFFECTIVE_FROM,
            EFFECTIVE_TO,
            DESCRIPTION,
            STATUS_CODE,
            NOT_USED_FOR_PAYMENT,
            WORK_RVU,
            PE_NONFAC_RVU,
            PE_FAC_RVU,
            MP_RVU,
            TOTAL_NONFAC_RVU,
            TOTAL_FAC_RVU,
            GLOBAL_DAYS,
            CONV_FACTOR,
            NATIONAL_NONFAC_FEE,
            NATIONAL_FAC_FEE,
        ],
    };
}

/// `diff`: what changed between two releases, and what it costs.
pub mod diff {
    use super::super::{Layout, TableDef};
    use super::*;

    pub use super::common::{HCPCS, MODIFIER};
    pub const FROM_RELEASE: ColumnDef = ColumnDef::text("from_release", "the older release");
    pub const TO_RELEASE: ColumnDef = ColumnDef::text("to_release", "the newer release");
    pub const CF_VARIANT_FROM: ColumnDef =
        ColumnDef::text("cf_variant_from", "the older release's variant compared");
    pub const CF_VARIANT_TO: ColumnDef =
        ColumnDef::text("cf_variant_to", "the newer release's variant compared");
    pub const CHANGE: ColumnDef = ColumnDef::text(
        "change",
        "`added`, `deleted`, `changed` or `unchanged` (only with `--include-unchanged`)",
    );
    pub const STATUS_CHANGED: ColumnDef = ColumnDef::flag("status_changed", "the status changed");
    pub const RVU_CHANGED: ColumnDef =
        ColumnDef::flag("rvu_changed", "any of the six RVUs changed");
    pub const INDICATORS_CHANGED: ColumnDef = ColumnDef::flag(
        "indicators_changed",
        "a payment indicator changed (global days, PC/TC, surgery indicators, endoscopic base, supervision, not used for payment)",
    );
    pub const DESCRIPTION_CHANGED: ColumnDef =
        ColumnDef::flag("description_changed", "the descriptor changed");
    pub const STATUS_OLD: ColumnDef = ColumnDef::text("status_old", "status in the older release");
    pub const STATUS_NEW: ColumnDef = ColumnDef::text("status_new", "status in the newer release");

    const fn pct(name: &'static str) -> ColumnDef {
        ColumnDef::float(
            name,
            "percent change of the old value, two places (a ratio, so a double)",
        )
    }
    /// `<rvu>_old`, in the order of [`super::rvu::COMPARED_RVUS`].
    pub const RVU_OLD: [ColumnDef; 6] = [
        rvu_value("work_rvu_old", "work RVU in the older release"),
        rvu_value(
            "pe_nonfac_rvu_old",
            "non-facility PE RVU in the older release",
        ),
        rvu_value("pe_fac_rvu_old", "facility PE RVU in the older release"),
        rvu_value("mp_rvu_old", "MP RVU in the older release"),
        rvu_value(
            "total_nonfac_rvu_old",
            "non-facility total in the older release",
        ),
        rvu_value("total_fac_rvu_old", "facility total in the older release"),
    ];
    pub const RVU_NEW: [ColumnDef; 6] = [
        rvu_value("work_rvu_new", "work RVU in the newer release"),
        rvu_value(
            "pe_nonfac_rvu_new",
            "non-facility PE RVU in the newer release",
        ),
        rvu_value("pe_fac_rvu_new", "facility PE RVU in the newer release"),
        rvu_value("mp_rvu_new", "MP RVU in the newer release"),
        rvu_value(
            "total_nonfac_rvu_new",
            "non-facility total in the newer release",
        ),
        rvu_value("total_fac_rvu_new", "facility total in the newer release"),
    ];
    pub const RVU_DELTA: [ColumnDef; 6] = [
        rvu_value("work_rvu_delta", "new minus old"),
        rvu_value("pe_nonfac_rvu_delta", "new minus old"),
        rvu_value("pe_fac_rvu_delta", "new minus old"),
        rvu_value("mp_rvu_delta", "new minus old"),
        rvu_value("total_nonfac_rvu_delta", "new minus old"),
        rvu_value("total_fac_rvu_delta", "new minus old"),
    ];
    pub const RVU_PCT: [ColumnDef; 6] = [
        pct("work_rvu_pct"),
        pct("pe_nonfac_rvu_pct"),
        pct("pe_fac_rvu_pct"),
        pct("mp_rvu_pct"),
        pct("total_nonfac_rvu_pct"),
        pct("total_fac_rvu_pct"),
    ];
    pub const PAYMENT_MAC: ColumnDef = ColumnDef::text(
        "payment_mac",
        "where amounts are measured: `00000` nationally, empty with `--locality`",
    );
    pub const PAYMENT_LOCALITY: ColumnDef = ColumnDef::text(
        "payment_locality",
        "`00` nationally, empty with `--locality`",
    );
    const fn money(name: &'static str, meaning: &'static str) -> ColumnDef {
        ColumnDef::decimal(name, Places::Money, meaning)
    }
    /// A setting's amounts: the fee before and after, its change, and the change split into
    /// effects that add up exactly to it.
    pub struct SettingColumns {
        pub fee_old: ColumnDef,
        pub fee_new: ColumnDef,
        pub fee_delta: ColumnDef,
        pub rvu_effect: ColumnDef,
        pub gpci_effect: ColumnDef,
        pub cf_effect: ColumnDef,
    }
    pub const NONFAC: SettingColumns = SettingColumns {
        fee_old: money("nonfac_fee_old", "non-facility amount in the older release"),
        fee_new: money("nonfac_fee_new", "non-facility amount in the newer release"),
        fee_delta: money("nonfac_fee_delta", "new minus old"),
        rvu_effect: money(
            "nonfac_rvu_effect",
            "the part of the change due to the RVUs (old GPCIs, old CF)",
        ),
        gpci_effect: money(
            "nonfac_gpci_effect",
            "the part due to the GPCIs (null nationally)",
        ),
        cf_effect: money("nonfac_cf_effect", "the part due to the conversion factor"),
    };
    pub const FAC: SettingColumns = SettingColumns {
        fee_old: money("fac_fee_old", "facility amount in the older release"),
        fee_new: money("fac_fee_new", "facility amount in the newer release"),
        fee_delta: money("fac_fee_delta", "new minus old"),
        rvu_effect: money("fac_rvu_effect", "the part of the change due to the RVUs"),
        gpci_effect: money(
            "fac_gpci_effect",
            "the part due to the GPCIs (null nationally)",
        ),
        cf_effect: money("fac_cf_effect", "the part due to the conversion factor"),
    };
    pub const HELD_WORK_RVU: ColumnDef = ColumnDef::decimal(
        "held_work_rvu",
        Places::Rvu,
        "the work RVU of the `--hold-rvus-at` year",
    )
    .optional("--hold-rvus-at");
    pub const NONFAC_FEE_AT_HELD_WORK: ColumnDef = money(
        "nonfac_fee_at_held_work",
        "the newer release's non-facility amount at the held work RVU",
    )
    .optional("--hold-rvus-at");
    pub const FAC_FEE_AT_HELD_WORK: ColumnDef = money(
        "fac_fee_at_held_work",
        "the newer release's facility amount at the held work RVU",
    )
    .optional("--hold-rvus-at");

    pub const TABLE: TableDef = TableDef {
        name: "diff",
        layout: Layout::Pairs,
        grain: "one row per (hcpcs, modifier) compared between two releases",
        about: "Kept by `run` and `build` for each pair of neighbouring releases (national amounts, changed rows only); also written by `mpfs diff` with its options. Files of different diffs may differ in the optional columns: read the folder with `union_by_name = true`.",
        columns: &[
            FROM_RELEASE,
            TO_RELEASE,
            CF_VARIANT_FROM,
            CF_VARIANT_TO,
            HCPCS,
            MODIFIER,
            CHANGE,
            STATUS_CHANGED,
            RVU_CHANGED,
            INDICATORS_CHANGED,
            DESCRIPTION_CHANGED,
            STATUS_OLD,
            STATUS_NEW,
            RVU_OLD[0],
            RVU_NEW[0],
            RVU_DELTA[0],
            RVU_PCT[0],
            RVU_OLD[1],
            RVU_NEW[1],
            RVU_DELTA[1],
            RVU_PCT[1],
            RVU_OLD[2],
            RVU_NEW[2],
            RVU_DELTA[2],
            RVU_PCT[2],
            RVU_OLD[3],
            RVU_NEW[3],
            RVU_DELTA[3],
            RVU_PCT[3],
            RVU_OLD[4],
            RVU_NEW[4],
            RVU_DELTA[4],
            RVU_PCT[4],
            RVU_OLD[5],
            RVU_NEW[5],
            RVU_DELTA[5],
            RVU_PCT[5],
            PAYMENT_MAC,
            PAYMENT_LOCALITY,
            NONFAC.fee_old,
            NONFAC.fee_new,
            NONFAC.fee_delta,
            NONFAC.rvu_effect,
            NONFAC.gpci_effect,
            NONFAC.cf_effect,
            FAC.fee_old,
            FAC.fee_new,
            FAC.fee_delta,
            FAC.rvu_effect,
            FAC.gpci_effect,
            FAC.cf_effect,
            HELD_WORK_RVU,
            NONFAC_FEE_AT_HELD_WORK,
            FAC_FEE_AT_HELD_WORK,
        ],
    };
}
