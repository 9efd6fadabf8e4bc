//! The warehouse's `rvu` table: one row per release, variant, HCPCS and modifier.
//!
//! Column names and types are the contract dashboards rely on (README, data dictionary).
//! The hive keys `year` and `release` live only in the partition path, never inside the
//! files: Spark refuses files whose columns repeat their partition keys, and DuckDB, polars
//! and pyarrow all read the keys back from the path.

use chrono::NaiveDate;
use polars::prelude::*;

use crate::decimal::Decimal;
use crate::release::ReleaseId;
use crate::transform::pprrvu::{PprrvuFile, RvuRow};

/// Days from 1970-01-01, Arrow's date representation.
pub fn date_to_days(date: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid epoch");
    (date - epoch).num_days() as i32
}

/// A date column holding one value for every row.
pub fn constant_date_column(name: &str, date: NaiveDate, height: usize) -> Column {
    Int32Chunked::from_vec(name.into(), vec![date_to_days(date); height])
        .into_date()
        .into_series()
        .into_column()
}

/// Builds the `rvu` rows of one release, sorted by variant, HCPCS and modifier.
/// `with_descriptors` false leaves `description` null (sites without a CPT licence).
pub fn rvu_frame(
    release: &ReleaseId,
    effective_from: NaiveDate,
    files: &[PprrvuFile],
    with_descriptors: bool,
) -> PolarsResult<DataFrame> {
    let mut rows: Vec<(&PprrvuFile, &RvuRow)> = files
        .iter()
        .flat_map(|f| f.rows.iter().map(move |r| (f, r)))
        .collect();
    rows.sort_by(|(fa, a), (fb, b)| {
        (fa.variant, &a.hcpcs, &a.modifier).cmp(&(fb.variant, &b.hcpcs, &b.modifier))
    });
    let height = rows.len();

    let text = |name: &str, get: &dyn Fn(&RvuRow) -> &str| -> Column {
        Column::new(
            name.into(),
            rows.iter().map(|(_, r)| get(r)).collect::<Vec<_>>(),
        )
    };
    // Indicators CMS leaves blank become null, so "no value" is not confused with a code.
    let indicator = |name: &str, get: &dyn Fn(&RvuRow) -> &str| -> Column {
        Column::new(
            name.into(),
            rows.iter()
                .map(|(_, r)| Some(get(r)).filter(|v| !v.is_empty()))
                .collect::<Vec<_>>(),
        )
    };
    let number = |name: &str, get: &dyn Fn(&RvuRow) -> Decimal| -> Column {
        Column::new(
            name.into(),
            rows.iter()
                .map(|(_, r)| get(r).to_f64())
                .collect::<Vec<_>>(),
        )
    };
    let flag = |name: &str, get: &dyn Fn(&RvuRow) -> bool| -> Column {
        Column::new(
            name.into(),
            rows.iter().map(|(_, r)| get(r)).collect::<Vec<_>>(),
        )
    };

    let columns = vec![
        Column::new("release_id".into(), vec![release.to_string(); height]),
        constant_date_column("effective_from", effective_from, height),
        Column::new(
            "cf_variant".into(),
            rows.iter()
                .map(|(f, _)| f.variant.as_str())
                .collect::<Vec<_>>(),
        ),
        text("hcpcs", &|r| &r.hcpcs),
        text("modifier", &|r| &r.modifier),
        Column::new(
            "description".into(),
            rows.iter()
                .map(|(_, r)| with_descriptors.then_some(r.description.as_str()))
                .collect::<Vec<_>>(),
        ),
        text("status_code", &|r| &r.status_code),
        flag("not_used_for_payment", &|r| r.not_used_for_payment),
        number("work_rvu", &|r| r.work_rvu),
        number("pe_nonfac_rvu", &|r| r.pe_nonfac_rvu),
        flag("pe_nonfac_na", &|r| r.pe_nonfac_na),
        number("pe_fac_rvu", &|r| r.pe_fac_rvu),
        flag("pe_fac_na", &|r| r.pe_fac_na),
        number("mp_rvu", &|r| r.mp_rvu),
        number("total_nonfac_rvu", &|r| r.total_nonfac_rvu),
        number("total_fac_rvu", &|r| r.total_fac_rvu),
        indicator("pctc_ind", &|r| &r.pctc_ind),
        indicator("global_days", &|r| &r.global_days),
        number("pre_op", &|r| r.pre_op),
        number("intra_op", &|r| r.intra_op),
        number("post_op", &|r| r.post_op),
        indicator("mult_proc", &|r| &r.mult_proc),
        indicator("bilat_surg", &|r| &r.bilat_surg),
        indicator("asst_surg", &|r| &r.asst_surg),
        indicator("co_surg", &|r| &r.co_surg),
        indicator("team_surg", &|r| &r.team_surg),
        indicator("pricing_ind", &|r| r.pricing_ind.as_deref().unwrap_or("")),
        indicator("endo_base", &|r| &r.endo_base),
        number("conv_factor", &|r| r.conv_factor),
        indicator("phys_supervision", &|r| &r.phys_supervision),
        indicator("calc_flag", &|r| &r.calc_flag),
        indicator("diag_imaging_family", &|r| &r.diag_imaging_family),
        number("opps_pe_nonfac_rvu", &|r| r.opps_pe_nonfac_rvu),
        number("opps_pe_fac_rvu", &|r| r.opps_pe_fac_rvu),
        number("opps_mp_rvu", &|r| r.opps_mp_rvu),
        Column::new(
            "source_file".into(),
            rows.iter()
                .map(|(f, _)| f.source_file.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "source_sha256".into(),
            rows.iter()
                .map(|(f, _)| f.source_sha256.as_str())
                .collect::<Vec<_>>(),
        ),
    ];
    DataFrame::new(height, columns)
}
