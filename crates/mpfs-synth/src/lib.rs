//! Synthetic releases in CMS's exact formats: the project's fixtures.
//!
//! Real CMS files may not be copied into the project, and CPT descriptors belong to the AMA,
//! so the fixtures are written here, by code: realistic codes with invented values and
//! neutral descriptions, laid out byte for byte as CMS lays out its files. This crate is test
//! tooling, kept out of the `mpfs` binary: the `mpfs-synth` binary (and `make fixtures`)
//! writes them to `fixtures/mirror/`, a test checks that the committed fixtures are what this
//! code writes, and the benchmarks write full-scale mirrors with [`scale`].

pub mod asp;
pub mod clfs;
pub mod pprrvu;
pub mod reference;
pub mod scale;
pub mod sheet;
pub mod zip_locality;
pub mod zip_writer;

use std::path::Path;

use mpfs::decimal::Decimal;
use mpfs::transform::pprrvu::{PprrvuLayout, RvuRow};
use pprrvu::PprrvuStyle;
use reference::GpciColumns;
pub use zip_writer::zip_bytes;

/// xorshift64*: a small deterministic generator, so synthetic data and test mutations
/// from one seed are the same on every run.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (a zero seed is replaced, as xorshift would stay at zero).
    pub fn new(seed: u64) -> Rng {
        Rng(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-enough in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A decimal with two places, in `[low, high)` hundredths.
    pub fn hundredths(&mut self, low: u64, high: u64) -> String {
        let v = low + self.below(high - low);
        format!("{}.{:02}", v / 100, v % 100)
    }
}

/// 2026's ANES layout: a QP and a non-QP column, each header naming its national CF with
/// the six decimals CMS prints.
const ANES_2026: reference::AnesStyle<'static> = reference::AnesStyle::TwoVariants {
    qp: "20.599835",
    non_qp: "20.49754",
};

/// A synthetic release: its zip name and members.
#[derive(Debug, Clone)]
pub struct SyntheticRelease {
    pub zip_name: String,
    pub members: Vec<(String, Vec<u8>)>,
}

impl SyntheticRelease {
    pub fn zip(&self) -> Vec<u8> {
        zip_bytes(&self.members)
    }
}

fn dec(text: &str) -> Decimal {
    text.parse().expect("synthetic decimal")
}

/// A payable-looking row with neutral defaults; totals are derived from the components.
pub(crate) fn service(
    hcpcs: &str,
    modifier: &str,
    status: &str,
    description: &str,
    rvus: [&str; 4],
) -> RvuRow {
    let [work, pe_nonfac, pe_fac, mp] = rvus.map(dec);
    RvuRow {
        line: 0,
        hcpcs: hcpcs.into(),
        modifier: modifier.into(),
        description: description.to_string(),
        status_code: status.into(),
        not_used_for_payment: false,
        work_rvu: work,
        pe_nonfac_rvu: pe_nonfac,
        pe_nonfac_na: false,
        pe_fac_rvu: pe_fac,
        pe_fac_na: false,
        mp_rvu: mp,
        total_nonfac_rvu: Decimal::from_raw(work.raw() + pe_nonfac.raw() + mp.raw()),
        total_fac_rvu: Decimal::from_raw(work.raw() + pe_fac.raw() + mp.raw()),
        pctc_ind: "0".into(),
        global_days: "XXX".into(),
        pre_op: Decimal::ZERO,
        intra_op: Decimal::ZERO,
        post_op: Decimal::ZERO,
        mult_proc: "0".into(),
        bilat_surg: "0".into(),
        asst_surg: "0".into(),
        co_surg: "0".into(),
        team_surg: "0".into(),
        pricing_ind: None,
        endo_base: Default::default(),
        conv_factor: Decimal::ZERO,
        phys_supervision: "09".into(),
        calc_flag: "0".into(),
        diag_imaging_family: "99".into(),
        opps_pe_nonfac_rvu: Decimal::ZERO,
        opps_pe_fac_rvu: Decimal::ZERO,
        opps_mp_rvu: Decimal::ZERO,
    }
}

/// A row whose RVUs are not used by Medicare (bundled, excluded, carrier-priced...).
pub(crate) fn unpriced(hcpcs: &str, status: &str, description: &str) -> RvuRow {
    let mut row = service(hcpcs, "", status, description, ["0", "0", "0", "0"]);
    row.pctc_ind = "9".into();
    for indicator in [
        &mut row.mult_proc,
        &mut row.bilat_surg,
        &mut row.asst_surg,
        &mut row.co_surg,
        &mut row.team_surg,
    ] {
        *indicator = "9".into();
    }
    row
}

fn surgical(mut row: RvuRow, global: &str, split: [&str; 3]) -> RvuRow {
    row.global_days = global.into();
    let [pre, intra, post] = split.map(dec);
    (row.pre_op, row.intra_op, row.post_op) = (pre, intra, post);
    row.mult_proc = "2".into();
    row
}

/// A diagnostic test's global, professional (26) and technical (TC) rows.
fn imaging(
    hcpcs: &str,
    description: &str,
    prof: [&str; 3],
    tech: [&str; 2],
    family: &str,
) -> [RvuRow; 3] {
    let [_, pe_prof, mp_prof] = prof.map(dec);
    let [pe_tech, mp_tech] = tech.map(dec);
    let sum = |a: Decimal, b: Decimal| Decimal::from_raw(a.raw() + b.raw()).format_places(2);
    let global_pe = sum(pe_prof, pe_tech);
    let global_mp = sum(mp_prof, mp_tech);
    let mut global = service(
        hcpcs,
        "",
        "A",
        description,
        [prof[0], &global_pe, &global_pe, &global_mp],
    );
    global.pe_fac_na = true;
    let mut professional = service(
        hcpcs,
        "26",
        "A",
        description,
        [prof[0], prof[1], prof[1], prof[2]],
    );
    let mut technical = service(
        hcpcs,
        "TC",
        "A",
        description,
        ["0", tech[0], tech[0], tech[1]],
    );
    technical.pe_fac_na = true;
    for row in [&mut global, &mut professional, &mut technical] {
        row.pctc_ind = "1".into();
        row.diag_imaging_family = family.into();
    }
    global.phys_supervision = "01".into();
    technical.phys_supervision = "01".into();
    // The OPPS cap applies to the technical component.
    global.opps_pe_nonfac_rvu = dec(&sum(pe_tech, Decimal::from_raw(pe_tech.raw() / 10)));
    global.opps_pe_fac_rvu = global.opps_pe_nonfac_rvu;
    global.opps_mp_rvu = mp_tech;
    technical.opps_pe_nonfac_rvu = global.opps_pe_nonfac_rvu;
    technical.opps_pe_fac_rvu = global.opps_pe_nonfac_rvu;
    technical.opps_mp_rvu = mp_tech;
    [global, professional, technical]
}

/// The services of the first synthetic year (2024A). Later releases edit this list.
fn base_services() -> Vec<RvuRow> {
    let mut rows = vec![
        unpriced("0001F", "I", "Quality measure, composite reporting"),
        unpriced("00100", "J", "Anesthesia for a head procedure"),
        unpriced("0042T", "C", "Perfusion imaging study, carrier priced"),
    ];
    rows.push(surgical(
        service(
            "10060",
            "",
            "A",
            "Drainage of a skin lesion",
            ["1.22", "2.10", "0.98", "0.12"],
        ),
        "010",
        ["0.10", "0.80", "0.10"],
    ));
    let mut injection = service(
        "20610",
        "",
        "A",
        "Joint injection, large joint",
        ["0.79", "1.05", "0.41", "0.08"],
    );
    injection.global_days = "000".into();
    injection.bilat_surg = "1".into();
    injection.mult_proc = "2".into();
    rows.push(injection);
    let mut knee = surgical(
        service(
            "27447",
            "",
            "A",
            "Knee joint replacement",
            ["19.48", "10.61", "10.61", "3.87"],
        ),
        "090",
        ["0.09", "0.84", "0.07"],
    );
    knee.pe_nonfac_na = true;
    knee.bilat_surg = "1".into();
    knee.asst_surg = "2".into();
    knee.co_surg = "1".into();
    rows.push(knee);
    let mut scope = surgical(
        service(
            "45378",
            "",
            "A",
            "Colon endoscopy, diagnostic",
            ["3.26", "6.91", "1.70", "0.36"],
        ),
        "000",
        ["0.00", "1.00", "0.00"],
    );
    scope.endo_base = "45378".into();
    scope.mult_proc = "3".into();
    rows.push(scope.clone());
    let mut discontinued = scope;
    discontinued.modifier = "53".into();
    discontinued.work_rvu = dec("0.98");
    discontinued.pe_nonfac_rvu = dec("2.44");
    discontinued.pe_fac_rvu = dec("0.52");
    discontinued.mp_rvu = dec("0.11");
    discontinued.total_nonfac_rvu = dec("3.53");
    discontinued.total_fac_rvu = dec("1.61");
    rows.push(discontinued);
    rows.extend(imaging(
        "71046",
        "Chest imaging, two views",
        ["0.24", "0.09", "0.02"],
        ["0.73", "0.03"],
        "99",
    ));
    rows.extend(imaging(
        "74177",
        "Abdomen and pelvis scan with contrast",
        ["1.82", "0.66", "0.09"],
        ["8.95", "0.07"],
        "88",
    ));
    let mut ecg = service(
        "93000",
        "",
        "A",
        "Heart rhythm tracing with report",
        ["0.17", "0.31", "0.31", "0.02"],
    );
    ecg.pctc_ind = "2".into();
    ecg.pe_fac_na = true;
    rows.push(ecg);
    for (code, description, rvus) in [
        (
            "99202",
            "New patient office visit, straightforward",
            ["0.95", "1.10", "0.41", "0.08"],
        ),
        (
            "99213",
            "Established patient office visit, low",
            ["1.31", "1.33", "0.55", "0.11"],
        ),
        (
            "99214",
            "Established patient office visit, moderate",
            ["1.93", "1.77", "0.78", "0.15"],
        ),
        (
            "99215",
            "Established patient office visit, high",
            ["2.83", "2.31", "1.12", "0.21"],
        ),
        (
            "99291",
            "Critical care, first hour",
            ["4.50", "3.10", "1.45", "0.42"],
        ),
        (
            "99358",
            "Provider\u{2019}s prolonged review, first hour",
            ["2.10", "0.83", "0.83", "0.15"],
        ),
    ] {
        rows.push(service(code, "", "A", description, rvus));
    }
    let mut preventive = service(
        "99381",
        "",
        "N",
        "Preventive visit, new infant",
        ["1.50", "2.02", "0.62", "0.11"],
    );
    preventive.not_used_for_payment = true;
    rows.push(preventive);
    rows.push(unpriced("99000", "X", "Specimen handling to a laboratory"));
    let mut shot = service(
        "96372",
        "",
        "T",
        "Injection under the skin or into muscle",
        ["0.17", "0.30", "0.30", "0.01"],
    );
    shot.pctc_ind = "5".into();
    rows.push(shot);
    rows.push(service(
        "G0008",
        "",
        "A",
        "Influenza vaccine administration",
        ["0.00", "0.56", "0.56", "0.01"],
    ));
    rows.push(service(
        "G0121",
        "",
        "A",
        "Colon screening, average risk",
        ["3.26", "6.91", "1.70", "0.36"],
    ));
    rows.push(service(
        "G0429",
        "",
        "R",
        "Facial filler injection, restricted",
        ["3.52", "4.35", "1.50", "0.28"],
    ));
    rows.push(unpriced("A4550", "B", "Surgical tray, bundled"));
    rows.push(unpriced("D0120", "R", "Dental periodic evaluation"));
    rows.push(unpriced("J1100", "E", "Steroid injection, per 0.1 mg"));
    rows
}

fn find<'a>(rows: &'a mut [RvuRow], hcpcs: &str, modifier: &str) -> &'a mut RvuRow {
    rows.iter_mut()
        .find(|r| r.hcpcs == hcpcs && r.modifier == modifier)
        .unwrap_or_else(|| panic!("synthetic service {hcpcs}{modifier} exists"))
}

/// Re-derives totals after an edit, as CMS's files always satisfy them.
fn set_rvus(row: &mut RvuRow, rvus: [&str; 4]) {
    let [work, pe_nonfac, pe_fac, mp] = rvus.map(dec);
    (row.work_rvu, row.pe_nonfac_rvu, row.pe_fac_rvu, row.mp_rvu) = (work, pe_nonfac, pe_fac, mp);
    row.total_nonfac_rvu = Decimal::from_raw(work.raw() + pe_nonfac.raw() + mp.raw());
    row.total_fac_rvu = Decimal::from_raw(work.raw() + pe_fac.raw() + mp.raw());
}

/// CMS's 2023-2024 order: codes starting with a letter before codes starting with a digit.
fn letters_before_digits(rows: &mut [RvuRow]) {
    rows.sort_by(|a, b| {
        let key = |r: &RvuRow| {
            (
                r.hcpcs.as_bytes()[0].is_ascii_digit(),
                r.hcpcs.clone(),
                r.modifier.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
}

/// 2025 and later order: plain ASCII.
pub(crate) fn ascii_order(rows: &mut [RvuRow]) {
    rows.sort_by(|a, b| (&a.hcpcs, &a.modifier).cmp(&(&b.hcpcs, &b.modifier)));
}

pub(crate) fn with_conversion_factor(mut rows: Vec<RvuRow>, cf: &str) -> Vec<RvuRow> {
    for row in &mut rows {
        row.conv_factor = dec(cf);
    }
    rows
}

fn style(
    layout: PprrvuLayout,
    title: &str,
    released: &str,
    trailer: bool,
    sheet: &str,
) -> PprrvuStyle {
    PprrvuStyle {
        layout,
        title: title.to_string(),
        released: released.to_string(),
        ctrl_z_trailer: trailer,
        sheet_name: sheet.to_string(),
    }
}

fn csv_only(zip_name: &str, member: &str, style: PprrvuStyle, rows: &[RvuRow]) -> SyntheticRelease {
    SyntheticRelease {
        zip_name: zip_name.to_string(),
        members: vec![(member.to_string(), pprrvu::csv(&style, rows))],
    }
}

fn title(year: u16, month: &str) -> String {
    format!("{year} National Physician Fee Schedule Relative Value File {month} Release")
}

/// A 2015 release under a version-dated member name, nested in a folder, as the 2011-2017
/// zips name theirs.
fn release_2015a() -> SyntheticRelease {
    let mut rows = with_conversion_factor(base_services(), "35.7547");
    rows.retain(|r| !r.hcpcs.starts_with('G') && r.hcpcs != "99358");
    ascii_order(&mut rows);
    let style = style(
        PprrvuLayout::Columns31,
        &title(2015, "January"),
        "12/23/2014",
        false,
        "PPRRVU15_V1223c",
    );
    csv_only("rvu15a.zip", "RVU15A/PPRRVU15_V1223c.csv", style, &rows)
}

/// A 2023 October release in its year's CSV style (Ctrl-Z trailer, letters before digits),
/// with a 7-column GPCI.
fn release_2023d() -> SyntheticRelease {
    let mut rows = with_conversion_factor(base_services(), "33.8872");
    letters_before_digits(&mut rows);
    let style = style(
        PprrvuLayout::Columns31,
        &title(2023, "October"),
        "09/15/2023",
        true,
        "PPRRVU23_OCT",
    );
    let places = reference::localities();
    SyntheticRelease {
        zip_name: "rvu23d.zip".to_string(),
        members: vec![
            ("PPRRVU23_OCT.csv".to_string(), pprrvu::csv(&style, &rows)),
            (
                "GPCI2023.csv".to_string(),
                reference::gpci_sheet(2023, GpciColumns::Seven, &places).to_csv(),
            ),
        ],
    }
}

/// 2025 January: PPRRVU and a 7-column GPCI whose Alabama row carries CMS's published
/// 2025 values, so the worked 76145 example prices to CMS's 825.49.
fn release_2025a(rows: &[RvuRow]) -> SyntheticRelease {
    let style = style(
        PprrvuLayout::Columns31,
        &title(2025, "January"),
        "01/10/2025",
        false,
        "PPRRVU25_JAN",
    );
    let places = reference::localities_2025();
    SyntheticRelease {
        zip_name: "rvu25a.zip".to_string(),
        members: vec![
            ("PPRRVU25_JAN.csv".to_string(), pprrvu::csv(&style, rows)),
            (
                "GPCI2025.csv".to_string(),
                reference::gpci_sheet(2025, GpciColumns::Seven, &places).to_csv(),
            ),
        ],
    }
}

/// 2026 January: every kind in all three formats. PPRRVU comes as the non-QP / QP pair in
/// the 32-column layout (pricing indicator 9 and 1, conversion factors 33.4009 and
/// 33.5675; the QP file omits codes Medicare does not pay); GPCI has 8 columns.
fn release_2026a(base: &[RvuRow]) -> SyntheticRelease {
    let with_pricing = |rows: &[RvuRow], cf: &str, indicator: &str| {
        let mut rows = with_conversion_factor(rows.to_vec(), cf);
        for row in &mut rows {
            row.pricing_ind = Some(indicator.into());
        }
        ascii_order(&mut rows);
        rows
    };
    let non_qp = with_pricing(base, "33.4009", "9");
    let payable: Vec<RvuRow> = base
        .iter()
        .filter(|r| matches!(r.status_code.as_str(), "A" | "R" | "T"))
        .cloned()
        .collect();
    let qp = with_pricing(&payable, "33.5675", "1");
    let title = title(2026, "January");
    let non_qp_style = style(
        PprrvuLayout::Columns32,
        &title,
        "12/29/2025",
        false,
        "PPRRVU2026_Jan_nonQPP",
    );
    let qp_style = style(
        PprrvuLayout::Columns32,
        &title,
        "12/29/2025",
        false,
        "PPRRVU2026_Jan_QPP",
    );
    let places = reference::localities();
    let caps = reference::opps_caps(&places);
    let mut members = Vec::new();
    for (stem, style, rows) in [
        ("PPRRVU2026_Jan_nonQPP", &non_qp_style, &non_qp),
        ("PPRRVU2026_Jan_QPP", &qp_style, &qp),
    ] {
        members.push((format!("{stem}.csv"), pprrvu::csv(style, rows)));
        members.push((format!("{stem}.txt"), pprrvu::txt(style, rows)));
        members.push((format!("{stem}.xlsx"), pprrvu::xlsx(style, rows)));
    }
    let gpci = reference::gpci_sheet(2026, GpciColumns::Eight, &places);
    let named = |name: &str, bytes: Vec<u8>| (name.to_string(), bytes);
    members.extend([
        named("GPCI2026.csv", gpci.to_csv()),
        named(
            "GPCI2026.txt",
            reference::gpci_txt(2026, GpciColumns::Eight, &places),
        ),
        named("GPCI2026.xlsx", gpci.to_xlsx()),
        named(
            "26LOCCO.csv",
            reference::locco_sheet(2026, &places, true).to_csv(),
        ),
        named("26LOCCO.txt", reference::locco_txt(2026, &places)),
    ]);
    // CMS's LOCCO workbook names its sheet after an older year.
    let mut locco_xlsx = reference::locco_sheet(2026, &places, false);
    locco_xlsx.name = "21LOCCO".to_string();
    members.extend([
        named("26LOCCO.xlsx", locco_xlsx.to_xlsx()),
        named(
            "ANES2026.csv",
            reference::anes_sheet(ANES_2026, &places, false).to_csv(),
        ),
        named("ANES2026.txt", reference::anes_txt(ANES_2026, &places)),
        named(
            "ANES2026.xlsx",
            reference::anes_sheet(ANES_2026, &places, true).to_xlsx(),
        ),
        named(
            "OPPSCAP_Jan.csv",
            reference::oppscap_sheet(&caps, false, "OPPSCAP_Jan").to_csv(),
        ),
        named("OPPSCAP_Jan.txt", reference::oppscap_txt(&caps)),
        named(
            "OPPSCAP_Jan.xlsx",
            reference::oppscap_sheet(&caps, true, "OPPSCAP_Jan").to_xlsx(),
        ),
        named(
            "RVU26A.pdf",
            b"%PDF-1.4 synthetic placeholder, not a CMS document\n".to_vec(),
        ),
    ]);
    SyntheticRelease {
        zip_name: "rvu26a.zip".to_string(),
        members,
    }
}

/// The fixture mirror, oldest first:
///
/// * 2015A: an older era's member name (`RVU15A/PPRRVU15_V1223c.csv`), PPRRVU CSV only.
/// * 2023D: 2023's CSV style (Ctrl-Z trailer, letters before digits) and a 7-column GPCI.
/// * 2024A, 2024B, 2025A: PPRRVU CSV only. 2024A -> 2024B: conversion factor 32.7442 ->
///   33.2875, 99213 practice expense revalued, G0429 status R -> A, 99459 added.
///   2024B -> 2025A: conversion factor 32.3465, 99358 deleted, G2211 and 76145 added,
///   99214 work RVU revalued, 20610's bilateral indicator and 99215's descriptor revised;
///   2025A also has a GPCI (Alabama as CMS published it).
/// * 2026A: every kind in CSV, TXT and XLSX (see [`release_2026a`]).
/// * ZIP-locality quarters 2025Q3 and 2025Q4 (see [`zip_locality::fixture_quarters`]).
/// * CLFS 2025 Q1 (V1 and its V2 correction) and 2026 Q1 (see [`clfs::fixture_quarters`]).
/// * ASP 2025 Q1 (posted and corrected) and 2026 Q1 (see [`asp::fixture_files`]).
pub fn fixture_mirror() -> Vec<SyntheticRelease> {
    let style_2024 = |month: &str, released: &str, sheet: &str| {
        style(
            PprrvuLayout::Columns31,
            &title(2024, month),
            released,
            true,
            sheet,
        )
    };

    let mut a24 = with_conversion_factor(base_services(), "32.7442");
    letters_before_digits(&mut a24);

    let mut b24 = a24.clone();
    set_rvus(
        find(&mut b24, "99213", ""),
        ["1.31", "1.36", "0.56", "0.11"],
    );
    find(&mut b24, "G0429", "").status_code = "A".into();
    b24.push(service(
        "99459",
        "",
        "A",
        "Chaperone presence during an exam",
        ["0.00", "0.63", "0.63", "0.01"],
    ));
    let mut b24 = with_conversion_factor(b24, "33.2875");
    letters_before_digits(&mut b24);

    let mut a25 = b24.clone();
    a25.retain(|r| r.hcpcs != "99358");
    set_rvus(
        find(&mut a25, "99214", ""),
        ["1.97", "1.77", "0.78", "0.15"],
    );
    // An indicator and a descriptor revised, for the diff's change flags.
    find(&mut a25, "20610", "").bilat_surg = "0".into();
    find(&mut a25, "99215", "").description =
        "Established patient office visit, high complexity".to_string();
    a25.push(service(
        "G2211",
        "",
        "A",
        "Visit complexity add-on",
        ["0.34", "0.17", "0.13", "0.02"],
    ));
    let mut a25 = with_conversion_factor(a25, "32.3465");
    ascii_order(&mut a25);

    let mut base_26 = a25.clone();
    set_rvus(
        find(&mut base_26, "99213", ""),
        ["1.33", "1.36", "0.56", "0.11"],
    );

    // The worked example of docs/cms-files.md, "Payment arithmetic": 76145 in 2025 (facility NA, yet CMS
    // prints an amount for both settings), priced against Alabama's published GPCI.
    let mut example = service(
        "76145",
        "",
        "A",
        "Radiation exposure evaluation by a physicist",
        ["0.00", "29.03", "29.03", "0.51"],
    );
    example.pe_fac_na = true;
    example.pctc_ind = "3".into();
    a25.push(example);
    let mut a25 = with_conversion_factor(a25, "32.3465");
    ascii_order(&mut a25);

    vec![
        release_2015a(),
        release_2023d(),
        csv_only(
            "rvu24a.zip",
            "PPRRVU24_JAN.csv",
            style_2024("January", "11/15/2023", "PPRRVU24_JAN"),
            &a24,
        ),
        csv_only(
            "RVU24B.zip",
            "PPRRVU24_APR.csv",
            style_2024("April", "03/18/2024", "PPRRVU24_APR"),
            &b24,
        ),
        release_2025a(&a25),
        release_2026a(&base_26),
    ]
    .into_iter()
    .chain(zip_locality::fixture_quarters())
    .chain(clfs::fixture_quarters())
    .chain(asp::fixture_files())
    .collect()
}

/// Writes releases into `dir` (temp file then rename, so a reader never sees half a zip).
pub fn write_mirror(dir: &Path, releases: &[SyntheticRelease]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for release in releases {
        let mut temp = tempfile::NamedTempFile::new_in(dir)?;
        std::io::Write::write_all(&mut temp, &release.zip())?;
        let path = dir.join(&release.zip_name);
        temp.persist(&path).map_err(|e| e.error)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mpfs::transform::archive::FileFormat;

    fn parse(
        name: &str,
        bytes: &[u8],
    ) -> Result<(PprrvuLayout, Vec<RvuRow>), mpfs::transform::ParseError> {
        mpfs::transform::pprrvu::parse(name, FileFormat::Csv, bytes)
    }

    #[test]
    fn every_fixture_row_survives_a_write_and_parse() {
        for release in fixture_mirror() {
            let (name, bytes) = &release.members[0];
            // PPRRVU members only (not ZIP-locality or CLFS files).
            if !name.ends_with(".csv") || !name.to_ascii_uppercase().contains("PPRRVU") {
                continue;
            }
            let (layout, rows) = parse(name, bytes).unwrap();
            let fields = layout.fields();
            let written = String::from_utf8_lossy(bytes).lines().count();
            let trailer = usize::from(bytes.contains(&0x1a));
            assert_eq!(
                written,
                5 + 5 + rows.len() + trailer,
                "{name}: preamble, header, rows"
            );
            for row in &rows {
                assert_eq!(
                    row.total_nonfac_rvu.raw(),
                    row.work_rvu.raw() + row.pe_nonfac_rvu.raw() + row.mp_rvu.raw()
                );
                assert_eq!(
                    row.total_fac_rvu.raw(),
                    row.work_rvu.raw() + row.pe_fac_rvu.raw() + row.mp_rvu.raw()
                );
                assert_eq!(fields.len(), if name.contains("2026") { 32 } else { 31 });
            }
        }
    }

    #[test]
    fn fixtures_have_the_quirks_the_parser_must_survive() {
        let mirror = fixture_mirror();
        let a24 = &mirror[2].members[0].1;
        assert!(
            a24.ends_with(b"\x1a,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\r\n"),
            "Ctrl-Z trailer"
        );
        assert!(
            a24.windows(2).any(|w| w == b"\x92s"),
            "Windows-1252 apostrophe"
        );
        assert!(String::from_utf8_lossy(a24).contains("\"Quality measure, composite reporting\""));
        let first_code =
            |bytes: &[u8]| String::from_utf8_lossy(bytes).lines().nth(10).unwrap()[..5].to_string();
        assert_eq!(first_code(a24), "A4550", "2024: letters before digits");
        assert_eq!(
            first_code(&mirror[4].members[0].1),
            "0001F",
            "2025: ASCII order"
        );
        assert!(!mirror[4].members[0].1.contains(&0x1a), "2025: no trailer");
    }
}
