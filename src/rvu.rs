//! One RVU record, the shape every part of mpfs shares: PPRRVU parsing produces it
//! (`transform::pprrvu`), the `rvu` table is written from it (`load::rvu_table`) and read back
//! into it ([`read_rows`]), and the diff, the HTML report and the pricer work with it. The
//! one exception is `rvu_history`, derived by a columnar scan of every partition: it never
//! holds rows, so it reads the columns it needs through the table's declaration.

use polars::prelude::*;

use crate::Text;
use crate::cf_variant::CfVariant;
use crate::decimal::Decimal;
use crate::fee::{Cents, Gpcis, fee_cents, is_payable};
use crate::schema::rvu;

/// One PPRRVU row, typed. RVUs and factors are exact [`Decimal`]s; codes and indicators
/// stay text so leading zeros survive (`0001F`, supervision `09`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RvuRow {
    /// The row's line (CSV, TXT) or row number (XLSX) in its source file, 1-based.
    pub line: u64,
    pub hcpcs: Text,
    /// Empty when the file has none; never absent.
    pub modifier: Text,
    pub description: String,
    pub status_code: Text,
    pub not_used_for_payment: bool,
    pub work_rvu: Decimal,
    pub pe_nonfac_rvu: Decimal,
    pub pe_nonfac_na: bool,
    pub pe_fac_rvu: Decimal,
    pub pe_fac_na: bool,
    pub mp_rvu: Decimal,
    pub total_nonfac_rvu: Decimal,
    pub total_fac_rvu: Decimal,
    pub pctc_ind: Text,
    pub global_days: Text,
    pub pre_op: Decimal,
    pub intra_op: Decimal,
    pub post_op: Decimal,
    pub mult_proc: Text,
    pub bilat_surg: Text,
    pub asst_surg: Text,
    pub co_surg: Text,
    pub team_surg: Text,
    /// Only in the 2026+ layout.
    pub pricing_ind: Option<Text>,
    pub endo_base: Text,
    pub conv_factor: Decimal,
    pub phys_supervision: Text,
    pub calc_flag: Text,
    pub diag_imaging_family: Text,
    pub opps_pe_nonfac_rvu: Decimal,
    pub opps_pe_fac_rvu: Decimal,
    pub opps_mp_rvu: Decimal,
}

impl RvuRow {
    /// Paid under the fee schedule ([`crate::fee::is_payable`]).
    pub fn payable(&self) -> bool {
        is_payable(&self.status_code, self.not_used_for_payment)
    }

    /// The six RVUs a diff compares, in the order of [`rvu::COMPARED_RVUS`].
    pub fn compared_rvus(&self) -> [Decimal; 6] {
        [
            self.work_rvu,
            self.pe_nonfac_rvu,
            self.pe_fac_rvu,
            self.mp_rvu,
            self.total_nonfac_rvu,
            self.total_fac_rvu,
        ]
    }

    /// The payment indicators whose change a diff reports as `indicators_changed`.
    pub fn payment_indicators(&self) -> ([&str; 9], bool) {
        (
            [
                &self.global_days,
                &self.pctc_ind,
                &self.mult_proc,
                &self.bilat_surg,
                &self.asst_surg,
                &self.co_surg,
                &self.team_surg,
                &self.endo_base,
                &self.phys_supervision,
            ],
            self.not_used_for_payment,
        )
    }

    /// (non-facility, facility) fee of this row with the given GPCIs and CF.
    pub fn fees(&self, gpcis: Gpcis, cf: Decimal) -> (Cents, Cents) {
        (
            fee_cents(self.work_rvu, self.pe_nonfac_rvu, self.mp_rvu, gpcis, cf),
            fee_cents(self.work_rvu, self.pe_fac_rvu, self.mp_rvu, gpcis, cf),
        )
    }
}

impl RvuRow {
    /// The `rvu` columns [`read_rows`] reads: a reader projects these, not the whole table.
    pub const COLUMNS: &'static [crate::schema::ColumnDef] = &[
        rvu::CF_VARIANT,
        rvu::HCPCS,
        rvu::MODIFIER,
        rvu::DESCRIPTION,
        rvu::STATUS_CODE,
        rvu::NOT_USED_FOR_PAYMENT,
        rvu::WORK_RVU,
        rvu::PE_NONFAC_RVU,
        rvu::PE_NONFAC_NA,
        rvu::PE_FAC_RVU,
        rvu::PE_FAC_NA,
        rvu::MP_RVU,
        rvu::TOTAL_NONFAC_RVU,
        rvu::TOTAL_FAC_RVU,
        rvu::PCTC_IND,
        rvu::GLOBAL_DAYS,
        rvu::PRE_OP,
        rvu::INTRA_OP,
        rvu::POST_OP,
        rvu::MULT_PROC,
        rvu::BILAT_SURG,
        rvu::ASST_SURG,
        rvu::CO_SURG,
        rvu::TEAM_SURG,
        rvu::PRICING_IND,
        rvu::ENDO_BASE,
        rvu::CONV_FACTOR,
        rvu::PHYS_SUPERVISION,
        rvu::CALC_FLAG,
        rvu::DIAG_IMAGING_FAMILY,
        rvu::OPPS_PE_NONFAC_RVU,
        rvu::OPPS_PE_FAC_RVU,
        rvu::OPPS_MP_RVU,
    ];
}

/// The rows of an `rvu` frame (a partition as the warehouse holds it), with their variants.
/// A row read back has no source line (0); a null description (`--no-descriptors`) is `""`.
pub fn read_rows(frame: &DataFrame) -> PolarsResult<Vec<(CfVariant, RvuRow)>> {
    let text = |column: crate::schema::ColumnDef| column.short_texts(frame);
    let number = |column: crate::schema::ColumnDef| -> PolarsResult<Vec<Decimal>> {
        Ok(column
            .decimals(frame)?
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect())
    };
    let flag = |column: crate::schema::ColumnDef| -> PolarsResult<Vec<bool>> {
        Ok(column
            .bools(frame)?
            .iter()
            .map(|v| v.unwrap_or(false))
            .collect())
    };
    let variants = text(rvu::CF_VARIANT)?;
    let description = rvu::DESCRIPTION.texts(frame)?;
    let [
        hcpcs,
        modifier,
        status,
        pctc,
        global,
        mult,
        bilat,
        asst,
        co,
        team,
    ] = [
        rvu::HCPCS,
        rvu::MODIFIER,
        rvu::STATUS_CODE,
        rvu::PCTC_IND,
        rvu::GLOBAL_DAYS,
        rvu::MULT_PROC,
        rvu::BILAT_SURG,
        rvu::ASST_SURG,
        rvu::CO_SURG,
        rvu::TEAM_SURG,
    ]
    .map(text);
    let [endo, supervision, calc, family] = [
        rvu::ENDO_BASE,
        rvu::PHYS_SUPERVISION,
        rvu::CALC_FLAG,
        rvu::DIAG_IMAGING_FAMILY,
    ]
    .map(text);
    let pricing = rvu::PRICING_IND.optional_texts(frame)?;
    let [
        work,
        pe_nonfac,
        pe_fac,
        mp,
        total_nonfac,
        total_fac,
        pre,
        intra,
        post,
        cf,
        opps_nonfac,
        opps_fac,
        opps_mp,
    ] = [
        rvu::WORK_RVU,
        rvu::PE_NONFAC_RVU,
        rvu::PE_FAC_RVU,
        rvu::MP_RVU,
        rvu::TOTAL_NONFAC_RVU,
        rvu::TOTAL_FAC_RVU,
        rvu::PRE_OP,
        rvu::INTRA_OP,
        rvu::POST_OP,
        rvu::CONV_FACTOR,
        rvu::OPPS_PE_NONFAC_RVU,
        rvu::OPPS_PE_FAC_RVU,
        rvu::OPPS_MP_RVU,
    ]
    .map(number);
    let [not_used, nonfac_na, fac_na] =
        [rvu::NOT_USED_FOR_PAYMENT, rvu::PE_NONFAC_NA, rvu::PE_FAC_NA].map(flag);
    let (hcpcs, modifier, status) = (hcpcs?, modifier?, status?);
    let (pctc, global, mult, bilat, asst, co, team) =
        (pctc?, global?, mult?, bilat?, asst?, co?, team?);
    let (endo, supervision, calc, family) = (endo?, supervision?, calc?, family?);
    let (work, pe_nonfac, pe_fac, mp, total_nonfac, total_fac) =
        (work?, pe_nonfac?, pe_fac?, mp?, total_nonfac?, total_fac?);
    let (pre, intra, post, cf) = (pre?, intra?, post?, cf?);
    let (opps_nonfac, opps_fac, opps_mp) = (opps_nonfac?, opps_fac?, opps_mp?);
    let (not_used, nonfac_na, fac_na) = (not_used?, nonfac_na?, fac_na?);
    let mut rows = Vec::with_capacity(frame.height());
    for i in 0..frame.height() {
        let variant = CfVariant::from_stored(&variants[i]).ok_or_else(|| {
            polars_err!(
                ComputeError: "rvu row {}: cf_variant '{}' is not standard, qp or non_qp",
                i + 1,
                variants[i]
            )
        })?;
        rows.push((
            variant,
            RvuRow {
                line: 0,
                hcpcs: hcpcs[i].clone(),
                modifier: modifier[i].clone(),
                description: description[i].clone(),
                status_code: status[i].clone(),
                not_used_for_payment: not_used[i],
                work_rvu: work[i],
                pe_nonfac_rvu: pe_nonfac[i],
                pe_nonfac_na: nonfac_na[i],
                pe_fac_rvu: pe_fac[i],
                pe_fac_na: fac_na[i],
                mp_rvu: mp[i],
                total_nonfac_rvu: total_nonfac[i],
                total_fac_rvu: total_fac[i],
                pctc_ind: pctc[i].clone(),
                global_days: global[i].clone(),
                pre_op: pre[i],
                intra_op: intra[i],
                post_op: post[i],
                mult_proc: mult[i].clone(),
                bilat_surg: bilat[i].clone(),
                asst_surg: asst[i].clone(),
                co_surg: co[i].clone(),
                team_surg: team[i].clone(),
                pricing_ind: pricing[i].as_deref().map(Text::from),
                endo_base: endo[i].clone(),
                conv_factor: cf[i],
                phys_supervision: supervision[i].clone(),
                calc_flag: calc[i].clone(),
                diag_imaging_family: family[i].clone(),
                opps_pe_nonfac_rvu: opps_nonfac[i],
                opps_pe_fac_rvu: opps_fac[i],
                opps_mp_rvu: opps_mp[i],
            },
        ));
    }
    Ok(rows)
}
