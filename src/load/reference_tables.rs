//! The per-release reference tables beside `rvu`: `gpci`, `locality_county`, `anes_cf`,
//! `opps_cap`, and the `quarantine` of rows that failed checks. Each is sorted by its key so
//! identical inputs give identical files.

use chrono::NaiveDate;
use polars::prelude::*;

use crate::load::frame::{FrameBuilder, Places};
use crate::release::ReleaseId;
use crate::transform::checks::QuarantineRow;
use crate::transform::{AnesTable, GpciFile, LoccoFile, OppsCapFile};

pub fn gpci_frame(
    release: &ReleaseId,
    effective_from: NaiveDate,
    file: &GpciFile,
) -> PolarsResult<DataFrame> {
    let mut rows: Vec<_> = file.rows.iter().collect();
    rows.sort_by(|a, b| (&a.mac, &a.locality).cmp(&(&b.mac, &b.locality)));
    FrameBuilder::new(&rows)
        .release(release, effective_from)
        .text("mac", |r| &r.mac)
        .text("state", |r| &r.state)
        .text("locality", |r| &r.locality)
        .text("locality_name", |r| &r.locality_name)
        .number("work_gpci", Places::Gpci, |r| r.work_gpci)
        .optional_number("work_gpci_unfloored", Places::Gpci, |r| {
            r.work_gpci_unfloored
        })
        .number("pe_gpci", Places::Gpci, |r| r.pe_gpci)
        .number("mp_gpci", Places::Gpci, |r| r.mp_gpci)
        .text("source_file", |_| &file.source.file_name)
        .text("source_sha256", |_| &file.source.sha256)
        .finish()
}

pub fn locality_county_frame(
    release: &ReleaseId,
    effective_from: NaiveDate,
    file: &LoccoFile,
) -> PolarsResult<DataFrame> {
    let mut rows: Vec<_> = file.rows.iter().collect();
    rows.sort_by(|a, b| (&a.mac, &a.locality, a.line).cmp(&(&b.mac, &b.locality, b.line)));
    FrameBuilder::new(&rows)
        .release(release, effective_from)
        .text("mac", |r| &r.mac)
        .text("locality", |r| &r.locality)
        .optional_text("state", |r| r.state.as_deref())
        .text("fee_schedule_area", |r| &r.fee_schedule_area)
        .text("counties", |r| &r.counties)
        .text("source_file", |_| &file.source.file_name)
        .text("source_sha256", |_| &file.source.sha256)
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
    FrameBuilder::new(&rows)
        .release(release, effective_from)
        .text("cf_variant", |(_, r)| r.variant.as_str())
        .text("mac", |(_, r)| &r.mac)
        .text("locality", |(_, r)| &r.locality)
        .text("locality_name", |(_, r)| &r.locality_name)
        .number("anes_cf", Places::ConvFactor, |(_, r)| r.anes_cf)
        .national_anes_cf("national_anes_cf", |(t, r)| t.national_cf(r.variant))
        .text("source_file", |(t, _)| &t.source.file_name)
        .text("source_sha256", |(t, _)| &t.source.sha256)
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
    FrameBuilder::new(&rows)
        .release(release, effective_from)
        .text("hcpcs", |r| &r.hcpcs)
        .text("modifier", |r| &r.modifier)
        .text("proc_status", |r| &r.proc_status)
        .text("mac", |r| &r.mac)
        .text("locality", |r| &r.locality)
        .number("fac_cap", Places::Fee, |r| r.fac_cap)
        .number("nonfac_cap", Places::Fee, |r| r.nonfac_cap)
        .text("source_file", |_| &file.source.file_name)
        .text("source_sha256", |_| &file.source.sha256)
        .finish()
}

pub fn quarantine_frame(
    release: &ReleaseId,
    effective_from: NaiveDate,
    rows: &[QuarantineRow],
) -> PolarsResult<DataFrame> {
    let mut rows: Vec<_> = rows.iter().collect();
    rows.sort_by(|a, b| (a.kind, &a.source_file, a.line).cmp(&(b.kind, &b.source_file, b.line)));
    FrameBuilder::new(&rows)
        .release(release, effective_from)
        .text("kind", |r| r.kind.name())
        .text("source_file", |r| &r.source_file)
        .integer("line", |r| r.line as i64)
        .text("key", |r| &r.key)
        .text("reason", |r| &r.reason)
        .finish()
}
