//! What mpfs writes from a user's claim lines: the `impact` table (in the warehouse) and
//! the priced lines of `mpfs price --out` (where the user says).

/// `impact`: one repricing of a utilization file.
pub mod impact {
    use super::super::column::{ColumnDef, Places};
    use super::super::{Layout, TableDef};

    const fn money(name: &'static str, meaning: &'static str) -> ColumnDef {
        ColumnDef::decimal(name, Places::Money, meaning)
    }
    pub const FROM_RELEASE: ColumnDef =
        ColumnDef::text("from_release", "the release the year is priced under first");
    pub const TO_RELEASE: ColumnDef =
        ColumnDef::text("to_release", "the release it is repriced under");
    pub const LINE: ColumnDef = ColumnDef::int64("line", "the utilization line (1-based data row)");
    pub const CLAIM_ID: ColumnDef = ColumnDef::text("claim_id", "the line's claim, when given");
    pub const HCPCS: ColumnDef = ColumnDef::text("hcpcs", "the line's code");
    pub const MODIFIERS: ColumnDef =
        ColumnDef::text("modifiers", "the line's modifiers, space-separated");
    pub const UNITS: ColumnDef = ColumnDef::int64("units", "the line's volume");
    pub const GROUP: ColumnDef = ColumnDef::text(
        "group",
        "the value of the `--group-by` column (`group` by default)",
    );
    pub const SCHEDULE: ColumnDef = ColumnDef::text(
        "schedule",
        "`pfs`, or `clfs` for a lab test priced from the CLFS quarter holding the release's first day (its change is all policy effect)",
    );
    pub const OLD_ALLOWED: ColumnDef = money(
        "old_allowed",
        "allowed amount under `from_release`; null when not priced",
    );
    pub const NEW_ALLOWED: ColumnDef = money(
        "new_allowed",
        "allowed amount under `to_release`; null when not priced",
    );
    pub const CHANGE: ColumnDef = money("change", "new minus old");
    pub const RVU_EFFECT: ColumnDef = money("rvu_effect", "the part of the change due to RVUs");
    pub const GPCI_EFFECT: ColumnDef = money("gpci_effect", "the part due to GPCIs");
    pub const CF_EFFECT: ColumnDef = money("cf_effect", "the part due to the conversion factor");
    pub const POLICY_EFFECT: ColumnDef = money(
        "policy_effect",
        "the part due to status, indicators, caps and codes that came or went",
    );
    pub const OLD_REASON: ColumnDef = ColumnDef::text(
        "old_reason",
        "why the line was not priced under `from_release`",
    );
    pub const NEW_REASON: ColumnDef = ColumnDef::text(
        "new_reason",
        "why the line was not priced under `to_release`",
    );

    pub const TABLE: TableDef = TableDef {
        name: "impact",
        layout: Layout::Pairs,
        grain: "one row per utilization line",
        about: "Written by `mpfs impact`, one file per pair of releases, replaced by the next impact of the same pair. The effects add up exactly to the change (docs/pricing.md).",
        columns: &[
            FROM_RELEASE,
            TO_RELEASE,
            LINE,
            CLAIM_ID,
            HCPCS,
            MODIFIERS,
            UNITS,
            GROUP,
            SCHEDULE,
            OLD_ALLOWED,
            NEW_ALLOWED,
            CHANGE,
            RVU_EFFECT,
            GPCI_EFFECT,
            CF_EFFECT,
            POLICY_EFFECT,
            OLD_REASON,
            NEW_REASON,
        ],
    };
}

/// The priced lines `mpfs price --out FILE.parquet` writes: the input's columns (those
/// below typed, any other as text, in the input's order), then what pricing found.
pub mod priced_lines {
    use super::super::column::{ColumnDef, Places};
    use super::super::{Layout, TableDef};

    const fn money(name: &'static str, meaning: &'static str) -> ColumnDef {
        ColumnDef::decimal(name, Places::Money, meaning)
    }
    /// The input columns mpfs reads, with the types their values have.
    pub const CLAIM_ID: ColumnDef = ColumnDef::text("claim_id", "input: the line's claim");
    pub const DATE_OF_SERVICE: ColumnDef =
        ColumnDef::date("date_of_service", "input: the date the service was given");
    pub const HCPCS: ColumnDef = ColumnDef::text("hcpcs", "input: the code billed");
    pub const MODIFIERS: ColumnDef = ColumnDef::text("modifiers", "input: the modifiers");
    pub const UNITS: ColumnDef = ColumnDef::int64("units", "input: units (1 when blank)");
    pub const PLACE_OF_SERVICE: ColumnDef =
        ColumnDef::text("place_of_service", "input: the CMS place-of-service code");
    pub const ZIP: ColumnDef = ColumnDef::text("zip", "input: ZIP (or ZIP+4) of the service");
    pub const PARTICIPATING: ColumnDef = ColumnDef::flag(
        "participating",
        "input: a participating provider (true when blank)",
    );
    pub const QP: ColumnDef = ColumnDef::flag(
        "qp",
        "input: a qualifying APM participant (false when blank)",
    );
    /// Input columns written with their own type in Parquet; any other input column is
    /// carried through as text.
    pub const TYPED_INPUTS: [ColumnDef; 9] = [
        CLAIM_ID,
        DATE_OF_SERVICE,
        HCPCS,
        MODIFIERS,
        UNITS,
        PLACE_OF_SERVICE,
        ZIP,
        PARTICIPATING,
        QP,
    ];

    pub const SCHEDULE: ColumnDef = ColumnDef::text(
        "schedule",
        "the fee schedule that priced the line (or was tried): `pfs`, `clfs` or `asp`",
    );
    pub const RELEASE_ID: ColumnDef = ColumnDef::text(
        "release_id",
        "the release (`2025D`) or quarter (`CLFS-2025Q1`) the line was priced under",
    );
    pub const CF_VARIANT: ColumnDef =
        ColumnDef::text("cf_variant", "the conversion-factor variant");
    pub const SETTING: ColumnDef = ColumnDef::text(
        "setting",
        "`facility` or `non-facility`, from the place of service",
    );
    pub const MAC: ColumnDef = ColumnDef::text("mac", "the MAC that priced the line");
    pub const LOCALITY: ColumnDef = ColumnDef::text("locality", "its payment locality");
    pub const FEE_SCHEDULE_AMOUNT: ColumnDef = money(
        "fee_schedule_amount",
        "one unit's fee schedule amount before any adjustment",
    );
    pub const ALLOWED: ColumnDef = money("allowed", "the allowed amount of the line");
    pub const LIMITING_CHARGE: ColumnDef = money(
        "limiting_charge",
        "for a non-participating provider, the most it may charge",
    );
    pub const COINSURANCE: ColumnDef = money(
        "coinsurance",
        "the patient's share of the allowed amount: 20% for a PFS line, 0.00 for a lab test (the deductible is not modelled)",
    );
    pub const ADJUSTMENTS: ColumnDef =
        ColumnDef::text("adjustments", "each rule applied, in order, `; `-separated");
    pub const PRICED: ColumnDef = ColumnDef::flag("priced", "whether the line was priced");
    pub const REASON: ColumnDef = ColumnDef::text("reason", "why not, when not priced");
    pub const WARNINGS: ColumnDef = ColumnDef::text("warnings", "what the pricer noticed");
    pub const LINE: ColumnDef = ColumnDef::int64("line", "the input line (1-based data row)");

    /// The columns pricing adds, in order.
    pub const RESULTS: [ColumnDef; 15] = [
        SCHEDULE,
        RELEASE_ID,
        CF_VARIANT,
        SETTING,
        MAC,
        LOCALITY,
        FEE_SCHEDULE_AMOUNT,
        ALLOWED,
        LIMITING_CHARGE,
        COINSURANCE,
        ADJUSTMENTS,
        PRICED,
        REASON,
        WARNINGS,
        LINE,
    ];

    pub const TABLE: TableDef = TableDef {
        name: "priced_lines",
        layout: Layout::Output,
        grain: "one row per input claim line, in input order",
        about: "Written by `mpfs price --out FILE` (Parquet when it ends in `.parquet`, else CSV): the input's own columns first (those below with their types in Parquet, any other as text), then the results. An input column named like a result column is replaced by it.",
        columns: &[
            CLAIM_ID,
            DATE_OF_SERVICE,
            HCPCS,
            MODIFIERS,
            UNITS,
            PLACE_OF_SERVICE,
            ZIP,
            PARTICIPATING,
            QP,
            SCHEDULE,
            RELEASE_ID,
            CF_VARIANT,
            SETTING,
            MAC,
            LOCALITY,
            FEE_SCHEDULE_AMOUNT,
            ALLOWED,
            LIMITING_CHARGE,
            COINSURANCE,
            ADJUSTMENTS,
            PRICED,
            REASON,
            WARNINGS,
            LINE,
        ],
    };
}
