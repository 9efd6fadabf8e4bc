//! Do the CSV, TXT and XLSX copies of a file say the same thing?
//!
//! Each format is parsed on its own (no checks, nothing dropped), reduced to keyed rows of
//! text values, and compared with the first format present (CSV when there is one): rows
//! that only one side has, and cells that differ. Numbers compare as exact decimals, so
//! `0.10` (CSV) and `.10` (TXT) agree.

use std::collections::BTreeMap;

use crate::cf_variant::CfVariant;
use crate::decimal::Decimal;
use crate::transform::archive::{FileFormat, FileKind, Member, ReleaseArchive};
use crate::transform::{TransformError, anes, gpci, locco, oppscap, pprrvu};

/// A row reduced for comparison: key, then named values.
type Keyed = BTreeMap<String, Vec<(&'static str, String)>>;

fn d(value: Decimal) -> String {
    value.to_string()
}

fn keyed_pprrvu(rows: &[pprrvu::RvuRow]) -> Keyed {
    rows.iter()
        .map(|r| {
            let values = vec![
                ("description", r.description.clone()),
                ("status_code", r.status_code.clone()),
                ("not_used_for_payment", r.not_used_for_payment.to_string()),
                ("work_rvu", d(r.work_rvu)),
                ("pe_nonfac_rvu", d(r.pe_nonfac_rvu)),
                ("pe_nonfac_na", r.pe_nonfac_na.to_string()),
                ("pe_fac_rvu", d(r.pe_fac_rvu)),
                ("pe_fac_na", r.pe_fac_na.to_string()),
                ("mp_rvu", d(r.mp_rvu)),
                ("total_nonfac_rvu", d(r.total_nonfac_rvu)),
                ("total_fac_rvu", d(r.total_fac_rvu)),
                ("pctc_ind", r.pctc_ind.clone()),
                ("global_days", r.global_days.clone()),
                ("pre_op", d(r.pre_op)),
                ("intra_op", d(r.intra_op)),
                ("post_op", d(r.post_op)),
                ("mult_proc", r.mult_proc.clone()),
                ("bilat_surg", r.bilat_surg.clone()),
                ("asst_surg", r.asst_surg.clone()),
                ("co_surg", r.co_surg.clone()),
                ("team_surg", r.team_surg.clone()),
                ("pricing_ind", r.pricing_ind.clone().unwrap_or_default()),
                ("endo_base", r.endo_base.clone()),
                ("conv_factor", d(r.conv_factor)),
                ("phys_supervision", r.phys_supervision.clone()),
                ("calc_flag", r.calc_flag.clone()),
                ("diag_imaging_family", r.diag_imaging_family.clone()),
                ("opps_pe_nonfac_rvu", d(r.opps_pe_nonfac_rvu)),
                ("opps_pe_fac_rvu", d(r.opps_pe_fac_rvu)),
                ("opps_mp_rvu", d(r.opps_mp_rvu)),
            ];
            (
                format!("{} {}", r.hcpcs, r.modifier).trim_end().to_string(),
                values,
            )
        })
        .collect()
}

fn keyed_gpci(rows: &[gpci::GpciRow]) -> Keyed {
    rows.iter()
        .map(|r| {
            (
                format!("{} {}", r.mac, r.locality),
                vec![
                    ("state", r.state.clone()),
                    ("locality_name", r.locality_name.clone()),
                    ("work_gpci", d(r.work_gpci)),
                    (
                        "work_gpci_unfloored",
                        r.work_gpci_unfloored.map(d).unwrap_or_default(),
                    ),
                    ("pe_gpci", d(r.pe_gpci)),
                    ("mp_gpci", d(r.mp_gpci)),
                ],
            )
        })
        .collect()
}

fn keyed_locco(rows: &[locco::LocalityCountyRow]) -> Keyed {
    let mut keyed = Keyed::new();
    for r in rows {
        // A repeated (MAC, locality) is compared as its own row.
        let mut key = format!("{} {}", r.mac, r.locality);
        let mut n = 1;
        while keyed.contains_key(&key) {
            n += 1;
            key = format!("{} {} #{n}", r.mac, r.locality);
        }
        keyed.insert(
            key,
            vec![
                ("state", r.state.clone().unwrap_or_default()),
                ("fee_schedule_area", r.fee_schedule_area.clone()),
                ("counties", r.counties.clone()),
            ],
        );
    }
    keyed
}

/// Width of the locality name in ANES TXT records (columns 19-58): CMS cuts longer names
/// there, so names compare on that prefix.
const ANES_TXT_NAME_WIDTH: usize = 40;

fn keyed_anes(file: &anes::AnesFile) -> Keyed {
    let mut keyed: Keyed = file
        .rows
        .iter()
        .map(|r| {
            (
                format!("{} {}", r.mac, r.locality),
                vec![
                    (
                        "locality_name",
                        r.locality_name
                            .chars()
                            .take(ANES_TXT_NAME_WIDTH)
                            .collect::<String>()
                            .trim_end()
                            .to_string(),
                    ),
                    ("anes_cf", d(r.anes_cf)),
                ],
            )
        })
        .collect();
    if let Some(cf) = file.national_cf {
        keyed.insert("national".to_string(), vec![("national_anes_cf", d(cf))]);
    }
    keyed
}

fn keyed_oppscap(rows: &[oppscap::OppsCapRow]) -> Keyed {
    rows.iter()
        .map(|r| {
            (
                format!("{} {} {} {}", r.hcpcs, r.modifier, r.mac, r.locality),
                vec![
                    ("proc_status", r.proc_status.clone()),
                    ("fac_cap", d(r.fac_cap)),
                    ("nonfac_cap", d(r.nonfac_cap)),
                ],
            )
        })
        .collect()
}

/// One kind (and variant) compared across its formats.
#[derive(Debug, Clone)]
pub struct KindParity {
    pub kind: FileKind,
    pub variant: CfVariant,
    /// Each format with its member name and row count (or why it could not be parsed).
    pub formats: Vec<(FileFormat, String, Result<usize, String>)>,
    /// Keys present in some formats only.
    pub only_in: Vec<PartialRow>,
    /// Cells that differ.
    pub differing: Vec<CellDifference>,
}

/// A row that only some formats have.
#[derive(Debug, Clone)]
pub struct PartialRow {
    pub key: String,
    pub present_in: Vec<FileFormat>,
}

/// One cell whose value differs between formats.
#[derive(Debug, Clone)]
pub struct CellDifference {
    pub key: String,
    pub column: &'static str,
    pub values: Vec<(FileFormat, String)>,
}

impl KindParity {
    pub fn agrees(&self) -> bool {
        self.only_in.is_empty()
            && self.differing.is_empty()
            && self.formats.iter().all(|(_, _, r)| r.is_ok())
    }
}

fn parse_keyed(
    kind: FileKind,
    label: &str,
    format: FileFormat,
    bytes: &[u8],
) -> Result<Keyed, String> {
    let keyed = match kind {
        FileKind::Pprrvu => keyed_pprrvu(
            &pprrvu::parse(label, format, bytes)
                .map_err(|e| e.to_string())?
                .1,
        ),
        FileKind::Gpci => keyed_gpci(
            &gpci::parse(label, format, bytes)
                .map_err(|e| e.to_string())?
                .1,
        ),
        FileKind::Locco => {
            keyed_locco(&locco::parse(label, format, bytes).map_err(|e| e.to_string())?)
        }
        FileKind::Anes => {
            let mut file = anes::parse(label, format, bytes).map_err(|e| e.to_string())?;
            if format == FileFormat::Txt {
                // TXT copies have no header, so no national CF to compare.
                file.national_cf = None;
            }
            keyed_anes(&file)
        }
        FileKind::Oppscap => {
            keyed_oppscap(&oppscap::parse(label, format, bytes).map_err(|e| e.to_string())?)
        }
    };
    Ok(keyed)
}

/// Compares every format of every kind in a release zip.
pub fn compare_formats(archive: &mut ReleaseArchive) -> Result<Vec<KindParity>, TransformError> {
    let members: Vec<Member> = archive.members().to_vec();
    let mut groups: Vec<(FileKind, CfVariant, Vec<Member>)> = Vec::new();
    for member in members {
        match groups
            .iter_mut()
            .find(|(k, v, _)| *k == member.kind && *v == member.variant)
        {
            Some((_, _, list)) => list.push(member),
            None => groups.push((member.kind, member.variant, vec![member])),
        }
    }
    let mut report = Vec::new();
    for (kind, variant, members) in groups {
        let mut parsed: Vec<(FileFormat, Keyed)> = Vec::new();
        let mut formats = Vec::new();
        for member in &members {
            let bytes = archive.read(member)?;
            let label = format!("{}:{}", archive.display_name(), member.path);
            match parse_keyed(kind, &label, member.format, &bytes) {
                Ok(keyed) => {
                    let rows = keyed.len() - usize::from(keyed.contains_key("national"));
                    formats.push((member.format, member.file_name.clone(), Ok(rows)));
                    parsed.push((member.format, keyed));
                }
                Err(e) => formats.push((member.format, member.file_name.clone(), Err(e))),
            }
        }
        let mut only_in = Vec::new();
        let mut differing = Vec::new();
        let all_keys: std::collections::BTreeSet<&String> =
            parsed.iter().flat_map(|(_, k)| k.keys()).collect();
        for key in all_keys {
            let present: Vec<(FileFormat, &Vec<(&'static str, String)>)> = parsed
                .iter()
                .filter_map(|(format, keyed)| keyed.get(key).map(|values| (*format, values)))
                .collect();
            // The national anesthesia CF is printed only in CSV/XLSX headers.
            let txt_lacks_national = kind == FileKind::Anes
                && key == "national"
                && parsed
                    .iter()
                    .all(|(format, keyed)| keyed.contains_key(key) || *format == FileFormat::Txt);
            if present.len() < parsed.len() && !txt_lacks_national {
                only_in.push(PartialRow {
                    key: key.clone(),
                    present_in: present.iter().map(|(f, _)| *f).collect(),
                });
                continue;
            }
            let (_, reference) = present[0];
            for (column, (name, value)) in reference.iter().enumerate() {
                if present.iter().any(|(_, values)| values[column].1 != *value) {
                    differing.push(CellDifference {
                        key: key.clone(),
                        column: name,
                        values: present
                            .iter()
                            .map(|(f, values)| (*f, values[column].1.clone()))
                            .collect(),
                    });
                }
            }
        }
        report.push(KindParity {
            kind,
            variant,
            formats,
            only_in,
            differing,
        });
    }
    Ok(report)
}
