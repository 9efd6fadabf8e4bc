//! Synthetic GPCI, LOCCO, ANES and OPPSCAP files in CMS's three formats, over a handful of
//! real locality ids (facts, not content) with invented values.

use crate::sheet::{Sheet, SheetCell, left, right};
use mpfs::transform::text::encode_windows_1252;

/// A payment locality and its invented indices.
#[derive(Debug, Clone)]
pub struct Locality {
    pub mac: String,
    pub state_code: String,
    pub state_name: String,
    pub locality: String,
    /// As GPCI prints it, footnote asterisks included.
    pub name: String,
    pub work: String,
    pub work_unfloored: String,
    pub pe: String,
    pub mp: String,
    pub anes_cf: String,
    pub counties: String,
}

pub fn locality(
    mac: &str,
    state: (&str, &str),
    locality: &str,
    name: &str,
    gpci: [&str; 4],
    anes_cf: &str,
    counties: &str,
) -> Locality {
    Locality {
        mac: mac.to_string(),
        state_code: state.0.to_string(),
        state_name: state.1.to_string(),
        locality: locality.to_string(),
        name: name.to_string(),
        work: gpci[0].to_string(),
        work_unfloored: gpci[1].to_string(),
        pe: gpci[2].to_string(),
        mp: gpci[3].to_string(),
        anes_cf: anes_cf.to_string(),
        counties: counties.to_string(),
    }
}

/// Seven localities over five states: statewide ones, Alaska's work floor, two California
/// localities in one block, Missouri's block whose later rows omit the state, a frontier
/// floor. Ordered as CMS orders them (by state, then name).
pub fn localities() -> Vec<Locality> {
    vec![
        locality(
            "10112",
            ("AL", "ALABAMA"),
            "00",
            "ALABAMA",
            ["1", "0.981", "0.871", "0.581"],
            "19.42",
            "ALL COUNTIES",
        ),
        locality(
            "02102",
            ("AK", "ALASKA"),
            "01",
            "ALASKA*",
            ["1.5", "1.103", "1.082", "0.601"],
            "27.74",
            "ALL COUNTIES",
        ),
        locality(
            "01182",
            ("CA", "CALIFORNIA"),
            "18",
            "LOS ANGELES-LONG BEACH-ANAHEIM (LOS ANGELES CNTY)",
            ["1.041", "1.041", "1.192", "0.702"],
            "21.55",
            "LOS ANGELES",
        ),
        locality(
            "01112",
            ("CA", "CALIFORNIA"),
            "05",
            "SAN FRANCISCO-OAKLAND-BERKELEY (SAN FRANCISCO/SAN MATEO/ALAMEDA/CONTRA COSTA CNTY)",
            ["1.072", "1.072", "1.403", "0.502"],
            "23.18",
            "SAN FRANCISCO, SAN MATEO, ALAMEDA AND CONTRA COSTA",
        ),
        locality(
            "05302",
            ("MO", "MISSOURI"),
            "02",
            "METROPOLITAN KANSAS CITY",
            ["1", "0.991", "0.953", "1.104"],
            "20.12",
            "CLAY, JACKSON AND PLATTE",
        ),
        locality(
            "05302",
            ("MO", "MISSOURI"),
            "99",
            "REST OF STATE*",
            ["1", "0.962", "0.884", "1.052"],
            "19.63",
            "ALL OTHER COUNTIES",
        ),
        locality(
            "03602",
            ("WY", "WYOMING"),
            "21",
            "WYOMING**",
            ["1", "0.973", "1", "0.753"],
            "20.07",
            "ALL COUNTIES",
        ),
    ]
}

/// The 2025 localities: Alabama with CMS's published 2025 GPCI (1 / 0.869 / 0.575, the
/// worked example of docs/cms-files.md, "Payment arithmetic"), the others invented.
pub fn localities_2025() -> Vec<Locality> {
    let mut places = localities();
    let alabama = &mut places[0];
    (alabama.work, alabama.pe, alabama.mp) = ("1".into(), "0.869".into(), "0.575".into());
    places
}

/// Whether the synthetic GPCI carries 2026's unfloored work GPCI column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GpciColumns {
    Seven,
    Eight,
}

fn pad3(value: &str) -> String {
    let decimal: mpfs::decimal::Decimal = value.parse().expect("synthetic GPCI");
    decimal.format_places(3)
}

pub fn gpci_sheet(year: u16, columns: GpciColumns, places: &[Locality]) -> Sheet {
    let mut header = vec![
        SheetCell::text("Medicare Administrative Contractor (MAC)"),
        SheetCell::text("State"),
        SheetCell::text("Locality Number"),
        SheetCell::text("Locality Name"),
    ];
    if columns == GpciColumns::Eight {
        header.push(SheetCell::text(format!(
            "{year} PW GPCI (without 1.0 Floor)"
        )));
    }
    header.extend([
        SheetCell::text(format!("{year} PW GPCI (with 1.0 Floor)")),
        SheetCell::text(format!("{year} PE GPCI")),
        SheetCell::text(format!("{year} MP GPCI")),
    ]);
    let mut rows = vec![
        vec![SheetCell::text(format!(
            "ADDENDUM E. SYNTHETIC CY {year} GEOGRAPHIC PRACTICE COST INDICES (GPCIs) BY STATE AND MEDICARE LOCALITY"
        ))],
        vec![],
        header,
    ];
    for p in places {
        let mut row = vec![
            SheetCell::text(&p.mac),
            SheetCell::text(&p.state_code),
            SheetCell::text(&p.locality),
            SheetCell::text(&p.name),
        ];
        if columns == GpciColumns::Eight {
            row.push(SheetCell::Number(p.work_unfloored.to_string()));
        }
        row.extend([
            SheetCell::Number(p.work.to_string()),
            SheetCell::Number(p.pe.to_string()),
            SheetCell::Number(p.mp.to_string()),
        ]);
        rows.push(row);
    }
    rows.push(vec![SheetCell::text(
        "MAC Assignments as of November 1, 2025",
    )]);
    rows.push(vec![]);
    rows.push(vec![SheetCell::text(
        "*Work GPCI reflects a 1.5 floor in Alaska.",
    )]);
    rows.push(vec![SheetCell::text(
        "**PE GPCI reflects a 1.0 floor for frontier states.",
    )]);
    Sheet {
        name: "Addendum E. GPCIs".to_string(),
        rows,
    }
}

pub fn gpci_txt(year: u16, columns: GpciColumns, places: &[Locality]) -> Vec<u8> {
    let mut out = format!(
        "ADDENDUM E. SYNTHETIC CY {year} GEOGRAPHIC PRACTICE COST INDICES (GPCIs) BY STATE AND MEDICARE LOCALITY\r\n\r\n"
    );
    let values = if columns == GpciColumns::Eight { 4 } else { 3 };
    let labels = ["PW GPCI (no floor)", "PW GPCI", "PE GPCI", "MP GPCI"];
    let header_labels: Vec<String> = labels[4 - values..]
        .iter()
        .map(|l| format!("{year} {l}"))
        .collect();
    out.push_str(&format!(
        "{}{}\r\n",
        left("Medicare Admi State  Locality     Locality Name", 113),
        header_labels.join("")
    ));
    for p in places {
        let mut line = format!(
            "{}{}{}{}",
            left(&p.mac, 16),
            left(&p.state_code, 8),
            left(&p.locality, 5),
            left(&p.name, 84)
        );
        let mut numbers = Vec::new();
        if columns == GpciColumns::Eight {
            numbers.push(&p.work_unfloored);
        }
        numbers.extend([&p.work, &p.pe, &p.mp]);
        for number in numbers {
            line.push_str(&right(&pad3(number), 12));
        }
        out.push_str(line.trim_end());
        out.push_str("\r\n");
    }
    out.push_str("*Work GPCI reflects a 1.5 floor in Alaska.\r\n\r\n");
    encode_windows_1252(&out).expect("ASCII")
}

/// LOCCO rows: the state printed only on a block's first row; the CSV copy drops leading
/// zeros; the Missouri "rest of state" row appears twice, differing in trailing blanks.
pub fn locco_sheet(year: u16, places: &[Locality], csv_drops_zeros: bool) -> Sheet {
    let code = |text: &str| {
        let trimmed = text.trim_start_matches('0');
        match (csv_drops_zeros, trimmed.is_empty()) {
            (true, true) => SheetCell::text("0"),
            (true, false) => SheetCell::text(trimmed),
            (false, _) => SheetCell::text(text),
        }
    };
    let mut rows = vec![
        vec![SheetCell::text(format!(
            "COUNTIES INCLUDED IN SYNTHETIC {year} LOCALITIES."
        ))],
        vec![],
        vec![
            SheetCell::text("Medicare Adminstrative Contractor"),
            SheetCell::text("Locality Number"),
            SheetCell::text("State "),
            SheetCell::text("Fee Schedule Area "),
            SheetCell::text("Counties"),
        ],
        vec![],
    ];
    let mut previous_state: &str = "";
    for p in places {
        if p.state_name != previous_state && !previous_state.is_empty() {
            rows.push(vec![]);
        }
        let state = if p.state_name == previous_state {
            String::new()
        } else {
            format!("{} ", p.state_name)
        };
        let area = p.name.trim_end_matches('*');
        let row = vec![
            code(&p.mac),
            code(&p.locality),
            SheetCell::text(state),
            SheetCell::text(format!("{area} ")),
            SheetCell::text(format!("{} ", p.counties)),
        ];
        rows.push(row);
        if p.state_code == "MO" && p.locality == "99" {
            rows.push(vec![
                code(&p.mac),
                code(&p.locality),
                SheetCell::Empty,
                SheetCell::text(area),
                SheetCell::text(&p.counties),
            ]);
        }
        previous_state = &p.state_name;
    }
    rows.push(vec![]);
    rows.push(vec![SheetCell::text(
        "*  Payment locality is serviced by two carriers.",
    )]);
    Sheet {
        name: format!("{}LOCCO", year % 100),
        rows,
    }
}

pub fn locco_txt(year: u16, places: &[Locality]) -> Vec<u8> {
    let mut out = format!("COUNTIES INCLUDED IN SYNTHETIC {year} LOCALITIES.\r\n\r\n");
    out.push_str(
        "Medicare AdmiLocality         State          Fee Schedule Area          Counties\r\n\r\n",
    );
    let mut previous_state: &str = "";
    for p in places {
        if p.state_name != previous_state && !previous_state.is_empty() {
            out.push_str("\r\n");
        }
        // CMS's LOCCO TXT prints no state for California's block, as its CSV does.
        let state = if p.state_name == previous_state || p.state_code == "CA" {
            ""
        } else {
            p.state_name.as_str()
        };
        let line = format!(
            "    {}{}{}{}{}",
            left(&p.mac, 12),
            left(&p.locality, 6),
            left(state, 23),
            left(p.name.trim_end_matches('*'), 98),
            p.counties
        );
        out.push_str(&line);
        out.push_str("\r\n");
        if p.state_code == "MO" && p.locality == "99" {
            out.push_str(&line);
            out.push_str("\r\n");
        }
        previous_state = &p.state_name;
    }
    out.push_str("\r\n*  Payment locality is serviced by two carriers.\r\n");
    encode_windows_1252(&out).expect("ASCII")
}

/// GPCI as 2022 shipped it: the MAC column without its `(MAC)` suffix, and a CSV that drops
/// leading zeros from codes and trailing zeros from numbers (`2102,AK,1,...,1.5`) while the
/// XLSX keeps them.
pub fn gpci_sheet_2022(places: &[Locality], csv: bool) -> Sheet {
    let code = |text: &str| {
        let trimmed = text.trim_start_matches('0');
        match (csv, trimmed.is_empty()) {
            (true, true) => "0".to_string(),
            (true, false) => trimmed.to_string(),
            (false, _) => text.to_string(),
        }
    };
    let number = |text: &str| {
        if csv && text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            text.to_string()
        }
    };
    let mut rows = vec![
        vec![SheetCell::text(
            "ADDENDUM E. SYNTHETIC CY 2022 GEOGRAPHIC PRACTICE COST INDICES (GPCIs) BY STATE AND MEDICARE LOCALITY",
        )],
        vec![],
        vec![
            SheetCell::text("Medicare Administrative Contractor"),
            SheetCell::text("State"),
            SheetCell::text("Locality Number"),
            SheetCell::text("Locality Name"),
            SheetCell::text("2022 PW GPCI (with 1.0 Floor)"),
            SheetCell::text("2022 PE GPCI"),
            SheetCell::text("2022 MP GPCI"),
        ],
    ];
    for p in places {
        rows.push(vec![
            SheetCell::text(code(&p.mac)),
            SheetCell::text(&p.state_code),
            SheetCell::text(code(&p.locality)),
            SheetCell::text(&p.name),
            SheetCell::Number(number(&p.work)),
            SheetCell::Number(number(&p.pe)),
            SheetCell::Number(number(&p.mp)),
        ]);
    }
    rows.push(vec![SheetCell::text(
        "*Work GPCI reflects a 1.5 floor in Alaska.",
    )]);
    Sheet {
        name: "Addendum E. GPCIs".to_string(),
        rows,
    }
}

/// How a year's ANES file lays out its factor columns.
#[derive(Debug, Clone, Copy)]
pub enum AnesStyle<'a> {
    /// 2024: `<year> Anesthesia Conversion Factor`, no national CF anywhere.
    NoNational { year: u16 },
    /// 2025: `National Anes CF of <cf>`.
    National(&'a str),
    /// 2026: a QP column, then a non-QP column, each naming its national CF; a locality's
    /// QP factor is its non-QP one plus 0.10 (invented, as all fixture values are).
    TwoVariants { qp: &'a str, non_qp: &'a str },
}

/// A locality's QP anesthesia CF in the [`AnesStyle::TwoVariants`] fixtures.
pub fn qp_anes_cf(non_qp: &str) -> String {
    let cf: mpfs::decimal::Decimal = non_qp.parse().expect("synthetic CF");
    mpfs::decimal::Decimal::from_raw(cf.raw() + mpfs::decimal::Decimal::SCALE / 10).format_places(2)
}

/// ANES: contractor and locality stored as numbers in XLSX, padded with trailing blanks in
/// CSV, and national CFs only in header text (when the year states any).
pub fn anes_sheet(style: AnesStyle<'_>, places: &[Locality], xlsx: bool) -> Sheet {
    let mut header = vec![
        SheetCell::text("Contractor"),
        SheetCell::text("Locality"),
        SheetCell::text("Locality Name"),
    ];
    match style {
        AnesStyle::NoNational { year } => header.push(SheetCell::text(format!(
            "{year} Anesthesia Conversion Factor"
        ))),
        AnesStyle::National(cf) => {
            header.push(SheetCell::text(format!("National Anes CF of {cf}")))
        }
        AnesStyle::TwoVariants { qp, non_qp } => header.extend([
            SheetCell::text(format!(
                "Qualifying APM National Anes CF (with 2.5% statutory increase) of {qp}"
            )),
            SheetCell::text(format!(
                "Non-Qualifying APM National Anes CF (with 2.5% Statutory increase)  of {non_qp}"
            )),
        ]),
    }
    let mut rows = vec![header];
    for p in places {
        let mut factors = vec![p.anes_cf.clone()];
        if matches!(style, AnesStyle::TwoVariants { .. }) {
            factors.insert(0, qp_anes_cf(&p.anes_cf));
        }
        let mut row = if xlsx {
            vec![
                SheetCell::Number(p.mac.trim_start_matches('0').to_string()),
                SheetCell::Number(match p.locality.trim_start_matches('0') {
                    "" => "0".to_string(),
                    other => other.to_string(),
                }),
                SheetCell::text(&p.name),
            ]
        } else {
            vec![
                SheetCell::text(format!("{} ", p.mac)),
                SheetCell::text(format!("{} ", p.locality)),
                SheetCell::text(&p.name),
            ]
        };
        for factor in factors {
            row.push(if xlsx {
                SheetCell::Number(factor)
            } else {
                SheetCell::text(format!("{factor} "))
            });
        }
        rows.push(row);
    }
    rows.push(vec![]);
    Sheet {
        name: "Locality Adjusted CFs".to_string(),
        rows,
    }
}

/// ANES TXT: the factor at 74-77 with implied decimals; with two variants the QP factor
/// there and the non-QP one at 78-81 (the order of CMS's CSV; a real two-factor TXT has not
/// been seen, see docs/cms-files.md).
pub fn anes_txt(style: AnesStyle<'_>, places: &[Locality]) -> Vec<u8> {
    let implied = |cf: &str| {
        let cf: mpfs::decimal::Decimal = cf.parse().expect("synthetic CF");
        right(&cf.format_places(2).replace('.', ""), 4)
    };
    let mut out = String::new();
    for p in places {
        let factors = match style {
            AnesStyle::TwoVariants { .. } => {
                format!(
                    "{}{}",
                    implied(&qp_anes_cf(&p.anes_cf)),
                    implied(&p.anes_cf)
                )
            }
            _ => implied(&p.anes_cf),
        };
        out.push_str(&format!(
            "{}{}{}{factors}\r\n",
            left(&p.mac, 12),
            left(&p.locality, 6),
            // CMS's ANES TXT cuts names at 40 columns.
            left(&left(&p.name, 40), 55),
        ));
    }
    out.push('\u{1a}');
    encode_windows_1252(&out).expect("ASCII")
}

/// One OPPS cap: a service at a locality.
#[derive(Debug, Clone)]
pub struct OppsCap {
    pub hcpcs: String,
    pub modifier: String,
    pub proc_status: String,
    pub mac: String,
    pub locality: String,
    pub fac: String,
    pub nonfac: String,
}

/// Caps for the imaging services at every locality, plus California's two-carrier twin
/// (locality 18 listed under MAC 01112 too, as CMS's OPPSCAP does).
pub fn opps_caps(places: &[Locality]) -> Vec<OppsCap> {
    let mut caps = Vec::new();
    for (hcpcs, modifier, base) in [
        ("71046", "", 31.5),
        ("71046", "TC", 24.25),
        ("74177", "", 301.0),
        ("74177", "TC", 236.4),
    ] {
        let mut sites: Vec<(&str, &str)> = places
            .iter()
            .map(|p| (p.mac.as_str(), p.locality.as_str()))
            .collect();
        sites.push(("01112", "18"));
        for (i, (mac, locality)) in sites.into_iter().enumerate() {
            let value = base * (0.9 + 0.05 * i as f64);
            let text = format!("{value:.2}");
            caps.push(OppsCap {
                hcpcs: hcpcs.to_string(),
                modifier: modifier.to_string(),
                proc_status: "A".to_string(),
                mac: mac.to_string(),
                locality: locality.to_string(),
                fac: text.clone(),
                nonfac: text,
            });
        }
    }
    caps
}

pub fn oppscap_sheet(caps: &[OppsCap], junk_eof_row: bool, name: &str) -> Sheet {
    let mut rows = vec![
        [
            "HCPCS",
            "MOD",
            "PROCSTAT",
            "CARRIER",
            "LOCALITY",
            "FACILITY PRICE",
            "NON-FACILTY PRICE",
        ]
        .iter()
        .map(|t| SheetCell::text(*t))
        .collect::<Vec<_>>(),
    ];
    for cap in caps {
        rows.push(vec![
            SheetCell::text(&cap.hcpcs),
            SheetCell::text(&cap.modifier),
            SheetCell::text(&cap.proc_status),
            SheetCell::text(&cap.mac),
            SheetCell::text(&cap.locality),
            SheetCell::Number(cap.fac.clone()),
            SheetCell::Number(cap.nonfac.clone()),
        ]);
    }
    if junk_eof_row {
        rows.push(vec![SheetCell::text("\u{1a}")]);
    }
    Sheet {
        name: name.to_string(),
        rows,
    }
}

pub fn oppscap_txt(caps: &[OppsCap]) -> Vec<u8> {
    let mut out = String::new();
    for cap in caps {
        out.push_str(&format!(
            "{}{} {} {}  {}{}{}\r\n",
            left(&cap.hcpcs, 5),
            left(&cap.modifier, 2),
            cap.proc_status,
            cap.mac,
            cap.locality,
            right(&cap.fac, 9),
            right(&cap.nonfac, 10)
        ));
    }
    encode_windows_1252(&out).expect("ASCII")
}
