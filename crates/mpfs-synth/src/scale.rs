//! Synthetic releases at real scale, for benchmarks: about 19,000 PPRRVU rows (with 26/TC
//! pairs and status mix like CMS's), 109 localities (GPCI, LOCCO, ANES), about 16,000 OPPS
//! caps, every kind as CSV, TXT and XLSX, four releases a year. Values are generated from a
//! fixed seed, so the same call writes the same bytes.

use crate::pprrvu::{self, PprrvuStyle};
use crate::reference::{self, GpciColumns, Locality, OppsCap};
use crate::{Rng, SyntheticRelease, ascii_order, service, unpriced, with_conversion_factor};
use mpfs::decimal::Decimal;
use mpfs::transform::pprrvu::{PprrvuLayout, RvuRow};

fn dec(text: &str) -> Decimal {
    text.parse().expect("synthetic decimal")
}

/// The services of the first release: 16,900 codes, of which about 1,100 priced diagnostic
/// tests with
/// 26/TC rows (about 19,000 rows in all), status mix roughly CMS.s.
fn services(rng: &mut Rng) -> Vec<RvuRow> {
    let mut rows = Vec::with_capacity(20_000);
    for i in 0..16_900u32 {
        // Digit codes and four letter families; `i / 16` is unique within a family.
        let hcpcs = match i % 16 {
            0..=10 => format!("{:05}", 10_000 + i * 5),
            11 => format!("{:04}T", i / 16),
            12 => format!("{:04}F", i / 16),
            13 => format!("G{:04}", i / 16),
            14 => format!("J{:04}", i / 16),
            _ => format!("A{:04}", i / 16),
        };
        let description = format!("Synthetic service {i}, neutral description");
        let status_roll = rng.below(100);
        let status = match status_roll {
            0..=47 => "A",
            48..=54 => "R",
            55 => "T",
            56..=62 => "C",
            63..=69 => "I",
            70..=75 => "E",
            76..=81 => "B",
            82..=87 => "N",
            88..=92 => "M",
            _ => "X",
        };
        if !matches!(status, "A" | "R" | "T") {
            rows.push(unpriced(&hcpcs, status, &description));
            continue;
        }
        let work = rng.hundredths(0, 2500);
        let pe_fac = rng.hundredths(0, 1500);
        let pe_nonfac = rng.hundredths(0, 3000);
        let mp = rng.hundredths(0, 200);
        let mut row = service(
            &hcpcs,
            "",
            status,
            &description,
            [&work, &pe_nonfac, &pe_fac, &mp],
        );
        row.global_days = ["000", "010", "090", "XXX", "ZZZ"][rng.below(5) as usize].into();
        if row.global_days == "010" || row.global_days == "090" {
            (row.pre_op, row.intra_op, row.post_op) = (dec("0.10"), dec("0.80"), dec("0.10"));
        }
        row.pe_nonfac_na = rng.below(10) == 0;
        let diagnostic = i % 14 == 0;
        if diagnostic {
            row.pctc_ind = "1".into();
            row.diag_imaging_family = "88".into();
        }
        rows.push(row.clone());
        if diagnostic {
            for modifier in ["26", "TC"] {
                let mut part = row.clone();
                part.modifier = modifier.into();
                let share = if modifier == "26" { 30 } else { 70 };
                let scaled = |d: Decimal| Decimal::from_raw(d.raw() * share / 100 / 100 * 100);
                part.work_rvu = if modifier == "26" {
                    row.work_rvu
                } else {
                    Decimal::ZERO
                };
                part.pe_nonfac_rvu = scaled(row.pe_nonfac_rvu);
                part.pe_fac_rvu = scaled(row.pe_fac_rvu);
                part.mp_rvu = scaled(row.mp_rvu);
                part.total_nonfac_rvu = Decimal::from_raw(
                    part.work_rvu.raw() + part.pe_nonfac_rvu.raw() + part.mp_rvu.raw(),
                );
                part.total_fac_rvu = Decimal::from_raw(
                    part.work_rvu.raw() + part.pe_fac_rvu.raw() + part.mp_rvu.raw(),
                );
                rows.push(part);
            }
        }
    }
    rows
}

/// 109 synthetic localities over ten states.
fn localities(rng: &mut Rng) -> Vec<Locality> {
    const STATES: [(&str, &str); 10] = [
        ("AL", "ALABAMA"),
        ("AZ", "ARIZONA"),
        ("CA", "CALIFORNIA"),
        ("FL", "FLORIDA"),
        ("GA", "GEORGIA"),
        ("IL", "ILLINOIS"),
        ("MO", "MISSOURI"),
        ("NY", "NEW YORK"),
        ("TX", "TEXAS"),
        ("WA", "WASHINGTON"),
    ];
    let mut gpci = |low: u64, high: u64| {
        let v = low + rng.below(high - low);
        format!("{}.{:03}", v / 1000, v % 1000)
    };
    (0..109u32)
        .map(|i| {
            let state = STATES[(i as usize) * STATES.len() / 109];
            let work = gpci(1000, 1100);
            let (pe, mp) = (gpci(800, 1500), gpci(300, 2000));
            let anes = gpci(18_000, 26_000);
            reference::locality(
                &format!("{:05}", 10_000 + (i / 11) * 100 + 12),
                state,
                &format!("{:02}", i % 100),
                &format!("{} AREA {i}", state.1),
                [&work, &work, &pe, &mp],
                &format!("{:.2}", anes.parse::<f64>().expect("a number")),
                "SYNTHETIC COUNTIES",
            )
        })
        .collect()
}

/// 2022's 112 localities: the 109 of later years and three more (California localities CMS
/// retired in 2024, and an Alaska-like locality with a leading-zero MAC and the 1.5 work
/// floor), to read 2022-style GPCI files.
pub fn localities_2022() -> Vec<Locality> {
    let mut places = localities(&mut Rng::new(2022));
    places.extend([
        reference::locality(
            "02102",
            ("AK", "ALASKA"),
            "01",
            "ALASKA*",
            ["1.500", "1.500", "1.081", "0.592"],
            "27.64",
            "ALL COUNTIES",
        ),
        reference::locality(
            "01182",
            ("CA", "CALIFORNIA"),
            "26",
            "CALIFORNIA RETIRED AREA 26",
            ["1.000", "1.000", "1.100", "0.600"],
            "21.10",
            "SYNTHETIC COUNTIES",
        ),
        reference::locality(
            "01182",
            ("CA", "CALIFORNIA"),
            "99",
            "CALIFORNIA RETIRED AREA 99",
            ["1.020", "1.020", "0.990", "0.410"],
            "20.90",
            "SYNTHETIC COUNTIES",
        ),
    ]);
    places
}

/// OPPS caps for 140 imaging services at every locality, plus six localities listed again
/// under a second MAC of the same jurisdiction, as CMS lists two-carrier localities.
fn caps(rows: &[RvuRow], places: &[Locality], rng: &mut Rng) -> Vec<OppsCap> {
    let capped: Vec<&RvuRow> = rows
        .iter()
        .filter(|r| r.pctc_ind == "1" && r.modifier != "26")
        .take(140)
        .collect();
    let twins: Vec<(String, String)> = places
        .iter()
        .take(6)
        .map(|p| (format!("{}82", &p.mac[..3]), p.locality.clone()))
        .collect();
    let sites: Vec<(String, String)> = places
        .iter()
        .map(|p| (p.mac.clone(), p.locality.clone()))
        .chain(twins)
        .collect();
    let mut caps = Vec::with_capacity(capped.len() * sites.len());
    for row in capped {
        for (mac, locality) in &sites {
            let value = format!("{}.{:02}", 20 + rng.below(400), rng.below(100));
            caps.push(OppsCap {
                hcpcs: row.hcpcs.to_string(),
                modifier: row.modifier.to_string(),
                proc_status: "A".to_string(),
                mac: mac.clone(),
                locality: locality.clone(),
                fac: value.clone(),
                nonfac: value,
            });
        }
    }
    caps
}

/// Each year's ANES layout: 2024's without a national CF, 2026's with two variants, the
/// 2025 layout for the others.
fn anes_style(year: u16) -> reference::AnesStyle<'static> {
    match year {
        2024 => reference::AnesStyle::NoNational { year },
        2026 => reference::AnesStyle::TwoVariants {
            qp: "20.599835",
            non_qp: "20.49754",
        },
        _ => reference::AnesStyle::National("20.3178"),
    }
}

/// The conversion factor CMS announced for a release (docs/cms-files.md, "Conversion factors").
fn conversion_factor(year: u16, letter: char) -> &'static str {
    match (year, letter) {
        (2020, _) => "36.0896",
        (2021, _) => "34.8931",
        (2022, _) => "34.6062",
        (2023, _) => "33.8872",
        (2024, 'A') => "32.7442",
        (2024, _) => "33.2875",
        _ => "32.3465",
    }
}

/// Four releases a year (A-D) for each year of `years`, every kind in all three formats.
/// Each release revises a few hundred RVUs and adds codes, as CMS's quarterly releases do.
pub fn scaled_mirror(years: std::ops::RangeInclusive<u16>) -> Vec<SyntheticRelease> {
    let mut rng = Rng::new(0x6d70_6673_2026_0001);
    let mut rows = services(&mut rng);
    let places = localities(&mut rng);
    let mut releases = Vec::new();
    for year in years {
        for (q, letter) in ['A', 'B', 'C', 'D'].into_iter().enumerate() {
            // Revise some RVUs and add a few codes each release.
            for _ in 0..300 {
                let index = rng.below(rows.len() as u64) as usize;
                let row = &mut rows[index];
                if matches!(row.status_code.as_str(), "A" | "R" | "T") {
                    let work = rng.hundredths(0, 2500);
                    row.work_rvu = dec(&work);
                    row.total_nonfac_rvu = Decimal::from_raw(
                        row.work_rvu.raw() + row.pe_nonfac_rvu.raw() + row.mp_rvu.raw(),
                    );
                    row.total_fac_rvu = Decimal::from_raw(
                        row.work_rvu.raw() + row.pe_fac_rvu.raw() + row.mp_rvu.raw(),
                    );
                }
            }
            for n in 0..40 {
                let code = format!("U{:04}", ((year % 100) as usize * 4 + q) * 40 + n);
                rows.push(service(
                    &code,
                    "",
                    "A",
                    "Synthetic new service",
                    ["1.00", "1.50", "0.80", "0.10"],
                ));
            }
            let mut release_rows =
                with_conversion_factor(rows.clone(), conversion_factor(year, letter));
            ascii_order(&mut release_rows);
            let month = ["Jan", "Apr", "Jul", "Oct"][q];
            let style = PprrvuStyle {
                layout: PprrvuLayout::Columns31,
                title: format!(
                    "{year} National Physician Fee Schedule Relative Value File (synthetic)"
                ),
                released: format!("{:02}/15/{}", q * 3 + 1, year),
                ctrl_z_trailer: false,
                sheet_name: format!("PPRRVU{year}_{month}"),
            };
            let stem = format!("PPRRVU{year}_{month}");
            let caps = caps(&release_rows, &places, &mut rng);
            let gpci = reference::gpci_sheet(year, GpciColumns::Seven, &places);
            let named = |name: String, bytes: Vec<u8>| (name, bytes);
            let yy = year % 100;
            let members = vec![
                named(format!("{stem}.csv"), pprrvu::csv(&style, &release_rows)),
                named(format!("{stem}.txt"), pprrvu::txt(&style, &release_rows)),
                named(format!("{stem}.xlsx"), pprrvu::xlsx(&style, &release_rows)),
                named(format!("GPCI{year}.csv"), gpci.to_csv()),
                named(
                    format!("GPCI{year}.txt"),
                    reference::gpci_txt(year, GpciColumns::Seven, &places),
                ),
                named(format!("GPCI{year}.xlsx"), gpci.to_xlsx()),
                named(
                    format!("{yy}LOCCO.csv"),
                    reference::locco_sheet(year, &places, true).to_csv(),
                ),
                named(
                    format!("{yy}LOCCO.txt"),
                    reference::locco_txt(year, &places),
                ),
                named(
                    format!("{yy}LOCCO.xlsx"),
                    reference::locco_sheet(year, &places, false).to_xlsx(),
                ),
                named(
                    format!("ANES{year}.csv"),
                    reference::anes_sheet(anes_style(year), &places, false).to_csv(),
                ),
                named(
                    format!("ANES{year}.txt"),
                    reference::anes_txt(anes_style(year), &places),
                ),
                named(
                    format!("ANES{year}.xlsx"),
                    reference::anes_sheet(anes_style(year), &places, true).to_xlsx(),
                ),
                named(
                    format!("OPPSCAP_{month}.csv"),
                    reference::oppscap_sheet(&caps, false, "OPPSCAP").to_csv(),
                ),
                named(
                    format!("OPPSCAP_{month}.txt"),
                    reference::oppscap_txt(&caps),
                ),
                named(
                    format!("OPPSCAP_{month}.xlsx"),
                    reference::oppscap_sheet(&caps, false, "OPPSCAP").to_xlsx(),
                ),
            ];
            releases.push(SyntheticRelease {
                zip_name: format!("rvu{yy:02}{}.zip", letter.to_ascii_lowercase()),
                members,
            });
        }
    }
    releases
}
