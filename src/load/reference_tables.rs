//! The per-release reference tables beside `rvu`: `gpci`, `locality_county`, `anes_cf`,
//! `opps_cap`, and the `quarantine` of rows that failed checks. Each is sorted by its key so
//! identical inputs give identical files.

use chrono::NaiveDate;
use polars::prelude::*;

use crate::load::frame::FrameBuilder;
use crate::release::ReleaseId;
use crate::schema::{anes_cf, gpci, locality_county, opps_cap, quarantine};
use crate::transform::checks::QuarantineRow;
use crate::transform::{AnesTable, GpciFile, LoccoFile, OppsCapFile};

pub fn gpci_frame(
    release: &ReleaseId,
    effective_from: NaiveDate,
    file: &GpciFile,
) -> PolarsResult<DataFrame> {
    let mut rows: Vec<_> = file.rows.iter().collect();
    rows.sort_by(|a, b| (&a.mac, &a.locality).cmp(&(&b.mac, &b.locality)));
    FrameBuilder::new(&gpci::TABLE, &rows)
        .release(release, effective_from)
        .text(gpci::MAC, |r| &r.mac)
        .text(gpci::STATE, |r| &r.state)
        .text(gpci::LOCALITY, |r| &r.locality)
        .text(gpci::LOCALITY_NAME, |r| &r.locality_name)
        .number(gpci::WORK_GPCI, |r| r.work_gpci)
        .optional_number(gpci::WORK_GPCI_UNFLOORED, |r| r.work_gpci_unfloored)
        .number(gpci::PE_GPCI, |r| r.pe_gpci)
        .number(gpci::MP_GPCI, |r| r.mp_gpci)
        .text(gpci::SOURCE_FILE, |_| &file.source.file_name)
        .text(gpci::SOURCE_SHA256, |_| &file.source.sha256)
        .finish()
}

pub fn locality_county_frame(
    release: &ReleaseId,
    effective_from: NaiveDate,
    file: &LoccoFile,
) -> PolarsResult<DataFrame> {
    let mut rows: Vec<_> = file.rows.iter().collect();
    rows.sort_by(|a, b| (&a.mac, &a.locality, a.line).cmp(&(&b.mac, &b.locality, b.line)));
    FrameBuilder::new(&locality_county::TABLE, &rows)
        .release(release, effective_from)
        .text(locality_county::MAC, |r| &r.mac)
        .text(locality_county::LOCALITY, |r| &r.locality)
        .optional_text(locality_county::STATE, |r| r.state.as_deref())
        .text(locality_county::FEE_SCHEDULE_AREA, |r| &r.fee_schedule_area)
        .text(locality_county::COUNTIES, |r| &r.counties)
        .text(locality_county::SOURCE_FILE, |_| &file.source.file_name)
        .text(locality_county::SOURCE_SHA256, |_| &file.source.sha256)
        .finish()
}

pub fn anes_cf_frame(
    release: &ReleaseId,
    effective_from: NaiveDate,
    tables: &[AnesTable],
) -> PolarsResult<DataFrame> {
    let mut rows: Vec<_> = tables
        .iter()
        .flat_map(|t| t.rows.iter().map(move |r| (t, r)))
        .collect();
    rows.sort_by(|(_, a), (_, b)| {
        (a.variant, &a.mac, &a.locality).cmp(&(b.variant, &b.mac, &b.locality))
    });
    FrameBuilder::new(&anes_cf::TABLE, &rows)
        .release(release, effective_from)
        .text(anes_cf::CF_VARIANT, |(_, r)| r.variant.as_str())
        .text(anes_cf::MAC, |(_, r)| &r.mac)
        .text(anes_cf::LOCALITY, |(_, r)| &r.locality)
        .text(anes_cf::LOCALITY_NAME, |(_, r)| &r.locality_name)
        .number(anes_cf::ANES_CF, |(_, r)| r.anes_cf)
        .national_anes_cf(anes_cf::NATIONAL_ANES_CF, |(t, r)| t.national_cf(r.variant))
        .text(anes_cf::SOURCE_FILE, |(t, _)| &t.source.file_name)
        .text(anes_cf::SOURCE_SHA256, |(t, _)| &t.source.sha256)
        .finish()
}

pub fn opps_cap_frame(
    release: &ReleaseId,
    effective_from: NaiveDate,
    file: &OppsCapFile,
) -> PolarsResult<DataFrame> {
    let mut rows: Vec<_> = file.rows.iter().collect();
    rows.sort_by(|a, b| {
        (&a.hcpcs, &a.modifier, &a.mac, &a.locality).cmp(&(
            &b.hcpcs,
            &b.modifier,
            &b.mac,
            &b.locality,
        ))
    });
    FrameBuilder::new(&opps_cap::TABLE, &rows)
        .release(release, effective_from)
        .text(opps_cap::HCPCS, |r| &r.hcpcs)
        .text(opps_cap::MODIFIER, |r| &r.modifier)
        .text(opps_cap::PROC_STATUS, |r| &r.proc_status)
        .text(opps_cap::MAC, |r| &r.mac)
        .text(opps_cap::LOCALITY, |r| &r.locality)
        .number(opps_cap::FAC_CAP, |r| r.fac_cap)
        .number(opps_cap::NONFAC_CAP, |r| r.nonfac_cap)
        .text(opps_cap::SOURCE_FILE, |_| &file.source.file_name)
        .text(opps_cap::SOURCE_SHA256, |_| &file.source.sha256)
        .finish()
}

pub fn quarantine_frame(
    release: &ReleaseId,
    effective_from: NaiveDate,
    rows: &[QuarantineRow],
) -> PolarsResult<DataFrame> {
    let mut rows: Vec<_> = rows.iter().collect();
    rows.sort_by(|a, b| (a.kind, &a.source_file, a.line).cmp(&(b.kind, &b.source_file, b.line)));
    FrameBuilder::new(&quarantine::TABLE, &rows)
        .release(release, effective_from)
        .text(quarantine::KIND, |r| r.kind.name())
        .text(quarantine::SOURCE_FILE, |r| &r.source_file)
        .integer(quarantine::LINE, |r| r.line as i64)
        .text(quarantine::KEY, |r| &r.key)
        .text(quarantine::REASON, |r| &r.reason)
        .finish()
}
