//! The warehouse's `rvu` table: one row per release, variant, HCPCS and modifier.
//!
//! Column names and types are the contract dashboards rely on (README, data dictionary).

use chrono::NaiveDate;
use polars::prelude::*;

use crate::load::frame::{FrameBuilder, Places};
use crate::release::ReleaseId;
use crate::transform::pprrvu::{PprrvuFile, RvuRow};

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
    FrameBuilder::new(&rows)
        .release(release, effective_from)
        .text("cf_variant", |(f, _)| f.variant.as_str())
        .text("hcpcs", |(_, r)| &r.hcpcs)
        .text("modifier", |(_, r)| &r.modifier)
        .optional_text("description", |(_, r)| {
            with_descriptors.then_some(r.description.as_str())
        })
        .text("status_code", |(_, r)| &r.status_code)
        .flag("not_used_for_payment", |(_, r)| r.not_used_for_payment)
        .number("work_rvu", Places::Rvu, |(_, r)| r.work_rvu)
        .number("pe_nonfac_rvu", Places::Rvu, |(_, r)| r.pe_nonfac_rvu)
        .flag("pe_nonfac_na", |(_, r)| r.pe_nonfac_na)
        .number("pe_fac_rvu", Places::Rvu, |(_, r)| r.pe_fac_rvu)
        .flag("pe_fac_na", |(_, r)| r.pe_fac_na)
        .number("mp_rvu", Places::Rvu, |(_, r)| r.mp_rvu)
        .number("total_nonfac_rvu", Places::Rvu, |(_, r)| r.total_nonfac_rvu)
        .number("total_fac_rvu", Places::Rvu, |(_, r)| r.total_fac_rvu)
        .indicator("pctc_ind", |(_, r)| &r.pctc_ind)
        .indicator("global_days", |(_, r)| &r.global_days)
        .number("pre_op", Places::Rvu, |(_, r)| r.pre_op)
        .number("intra_op", Places::Rvu, |(_, r)| r.intra_op)
        .number("post_op", Places::Rvu, |(_, r)| r.post_op)
        .indicator("mult_proc", |(_, r)| &r.mult_proc)
        .indicator("bilat_surg", |(_, r)| &r.bilat_surg)
        .indicator("asst_surg", |(_, r)| &r.asst_surg)
        .indicator("co_surg", |(_, r)| &r.co_surg)
        .indicator("team_surg", |(_, r)| &r.team_surg)
        .indicator("pricing_ind", |(_, r)| {
            r.pricing_ind.as_deref().unwrap_or("")
        })
        .indicator("endo_base", |(_, r)| &r.endo_base)
        .number("conv_factor", Places::ConvFactor, |(_, r)| r.conv_factor)
        .indicator("phys_supervision", |(_, r)| &r.phys_supervision)
        .indicator("calc_flag", |(_, r)| &r.calc_flag)
        .indicator("diag_imaging_family", |(_, r)| &r.diag_imaging_family)
        .number("opps_pe_nonfac_rvu", Places::Rvu, |(_, r)| {
            r.opps_pe_nonfac_rvu
        })
        .number("opps_pe_fac_rvu", Places::Rvu, |(_, r)| r.opps_pe_fac_rvu)
        .number("opps_mp_rvu", Places::Rvu, |(_, r)| r.opps_mp_rvu)
        .text("source_file", |(f, _)| &f.source_file)
        .text("source_sha256", |(f, _)| &f.source_sha256)
        .finish()
}
