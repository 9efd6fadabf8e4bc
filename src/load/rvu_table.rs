//! The warehouse's `rvu` table: one row per release, variant, HCPCS and modifier.
//!
//! Column names and types are the contract dashboards rely on (README, data dictionary).

use chrono::NaiveDate;
use polars::prelude::*;

use crate::load::frame::FrameBuilder;
use crate::release::ReleaseId;
use crate::schema::rvu;
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
    FrameBuilder::new(&rvu::TABLE, &rows)
        .release(release, effective_from)
        .text(rvu::CF_VARIANT, |(f, _)| f.variant.as_str())
        .text(rvu::HCPCS, |(_, r)| &r.hcpcs)
        .text(rvu::MODIFIER, |(_, r)| &r.modifier)
        .optional_text(rvu::DESCRIPTION, |(_, r)| {
            with_descriptors.then_some(r.description.as_str())
        })
        .text(rvu::STATUS_CODE, |(_, r)| &r.status_code)
        .flag(rvu::NOT_USED_FOR_PAYMENT, |(_, r)| r.not_used_for_payment)
        .number(rvu::WORK_RVU, |(_, r)| r.work_rvu)
        .number(rvu::PE_NONFAC_RVU, |(_, r)| r.pe_nonfac_rvu)
        .flag(rvu::PE_NONFAC_NA, |(_, r)| r.pe_nonfac_na)
        .number(rvu::PE_FAC_RVU, |(_, r)| r.pe_fac_rvu)
        .flag(rvu::PE_FAC_NA, |(_, r)| r.pe_fac_na)
        .number(rvu::MP_RVU, |(_, r)| r.mp_rvu)
        .number(rvu::TOTAL_NONFAC_RVU, |(_, r)| r.total_nonfac_rvu)
        .number(rvu::TOTAL_FAC_RVU, |(_, r)| r.total_fac_rvu)
        .indicator(rvu::PCTC_IND, |(_, r)| &r.pctc_ind)
        .indicator(rvu::GLOBAL_DAYS, |(_, r)| &r.global_days)
        .number(rvu::PRE_OP, |(_, r)| r.pre_op)
        .number(rvu::INTRA_OP, |(_, r)| r.intra_op)
        .number(rvu::POST_OP, |(_, r)| r.post_op)
        .indicator(rvu::MULT_PROC, |(_, r)| &r.mult_proc)
        .indicator(rvu::BILAT_SURG, |(_, r)| &r.bilat_surg)
        .indicator(rvu::ASST_SURG, |(_, r)| &r.asst_surg)
        .indicator(rvu::CO_SURG, |(_, r)| &r.co_surg)
        .indicator(rvu::TEAM_SURG, |(_, r)| &r.team_surg)
        .indicator(rvu::PRICING_IND, |(_, r)| {
            r.pricing_ind.as_deref().unwrap_or("")
        })
        .indicator(rvu::ENDO_BASE, |(_, r)| &r.endo_base)
        .number(rvu::CONV_FACTOR, |(_, r)| r.conv_factor)
        .indicator(rvu::PHYS_SUPERVISION, |(_, r)| &r.phys_supervision)
        .indicator(rvu::CALC_FLAG, |(_, r)| &r.calc_flag)
        .indicator(rvu::DIAG_IMAGING_FAMILY, |(_, r)| &r.diag_imaging_family)
        .number(rvu::OPPS_PE_NONFAC_RVU, |(_, r)| r.opps_pe_nonfac_rvu)
        .number(rvu::OPPS_PE_FAC_RVU, |(_, r)| r.opps_pe_fac_rvu)
        .number(rvu::OPPS_MP_RVU, |(_, r)| r.opps_mp_rvu)
        .text(rvu::SOURCE_FILE, |(f, _)| &f.source_file)
        .text(rvu::SOURCE_SHA256, |(f, _)| &f.source_sha256)
        .finish()
}
