//! Do the CSV, TXT and XLSX copies of a file say the same thing?
//!
//! Each format is parsed on its own (no checks, nothing dropped), reduced to keyed rows of
//! text values, and compared with the first format present (CSV when there is one): rows
//! that only one side has, and cells that differ. Numbers compare as exact decimals, so
//! `0.10` (CSV) and `.10` (TXT) agree.
//!
//! A disagreement is a **difference** when it is about a value (a number, a code, an
//! indicator, a row one format lacks, a format that cannot be read) and a **note** when it
//! is only about text that names things (locality, state and area names, counties,
//! descriptors; each kind says which columns those are) or only about case and blanks.
//! CMS's own copies disagree in notes (its LOCCO TXT leaves California's state blank and
//! cuts long county lists), so only differences make `validate` fail.

use serde::Serialize;

use crate::cf_variant::CfVariant;
use crate::transform::archive::{FileFormat, FileKind, Member, ReleaseArchive};
use crate::transform::kind::{Keyed, Kind};
use crate::transform::{ParseError, TransformError, anes, gpci, locco, oppscap, pprrvu};

/// How one format of a single-table zip (CLFS, ASP) read, beside the format whose rows are
/// used: its row and reject counts, or why it could not be read, and how its rows differ.
#[derive(Debug, Clone)]
pub struct FormatRead<F, E> {
    pub format: F,
    pub member: String,
    pub outcome: Result<(usize, usize), E>,
    /// How its rows differ from the format read (empty when the same, or for that format).
    pub differences: Vec<String>,
}

/// One phrase per format other than `read`: `txt: same 2087 rows`, `xls: 2 differences from
/// csv: ...` (the first three), or `xlsx: not read: ...`. Said in the build line and kept in
/// the source's releases table.
pub fn parity_phrases<F: std::fmt::Display + PartialEq, E: std::fmt::Display>(
    formats: &[FormatRead<F, E>],
    read: &F,
    rows: usize,
) -> Vec<String> {
    formats
        .iter()
        .filter(|f| f.format != *read)
        .map(|f| match &f.outcome {
            Err(error) => format!("{}: not read: {error}", f.format),
            Ok(_) if f.differences.is_empty() => format!("{}: same {rows} rows", f.format),
            Ok(_) => format!(
                "{}: {} differences from {read}: {}{}",
                f.format,
                f.differences.len(),
                f.differences
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; "),
                if f.differences.len() > 3 { "; ..." } else { "" }
            ),
        })
        .collect()
}

/// Every format of a single-table zip (CLFS, ASP), read and compared.
pub struct FormatsRead<F, P, E> {
    /// Each format tried, with its counts or why it failed, and how it differs.
    pub formats: Vec<FormatRead<F, E>>,
    /// The format used: the first that read with the fewest rejected rows (`None` when none
    /// read), with its member's short name.
    pub chosen: Option<(F, String, P)>,
    /// The other formats that read.
    pub others: Vec<(F, String, P)>,
}

impl<F, P, E: std::fmt::Display> FormatsRead<F, P, E> {
    /// Why no format could be used: each one's cause.
    pub fn causes(&self) -> String {
        self.formats
            .iter()
            .filter_map(|f| f.outcome.as_ref().err().map(ToString::to_string))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Reads each member (format, path in the zip) with `parse`; uses the first with the fewest
/// rejected rows (`counts` gives rows and rejects) and compares the others with it
/// (`differences`).
pub fn read_formats<F: Copy + PartialEq, P, E: Clone>(
    archive: &mut ReleaseArchive,
    members: &[(F, String)],
    parse: impl Fn(&str, F, &[u8]) -> Result<P, E>,
    counts: impl Fn(&P) -> (usize, usize),
    differences: impl Fn(&P, &P) -> Vec<String>,
) -> Result<FormatsRead<F, P, E>, crate::transform::archive::ArchiveError> {
    let mut formats = Vec::new();
    let mut readable: Vec<(F, String, P)> = Vec::new();
    for (format, member) in members {
        let short = member.rsplit('/').next().unwrap_or(member).to_string();
        let bytes = archive.read_entry(member)?;
        let outcome = parse(&short, *format, &bytes);
        formats.push(FormatRead {
            format: *format,
            member: short.clone(),
            outcome: outcome.as_ref().map(&counts).map_err(Clone::clone),
            differences: Vec::new(),
        });
        if let Ok(parsed) = outcome {
            readable.push((*format, short, parsed));
        }
    }
    let best = readable
        .iter()
        .enumerate()
        .min_by_key(|(i, (_, _, p))| (counts(p).1, *i))
        .map(|(i, _)| i);
    let chosen = best.map(|i| readable.remove(i));
    if let Some((_, _, used)) = &chosen {
        for (other, _, parsed) in &readable {
            if let Some(f) = formats.iter_mut().find(|f| f.format == *other) {
                f.differences = differences(used, parsed);
            }
        }
    }
    Ok(FormatsRead {
        formats,
        chosen,
        others: readable,
    })
}

/// Whether every format read and agreed with the one used.
pub fn formats_agree<F, E>(formats: &[FormatRead<F, E>]) -> bool {
    formats
        .iter()
        .all(|f| f.outcome.is_ok() && f.differences.is_empty())
}

/// One kind (and variant) compared across its formats.
#[derive(Debug, Clone)]
pub struct KindParity {
    pub kind: FileKind,
    pub variant: CfVariant,
    /// Each format with its member name and row count (or why it could not be parsed).
    pub formats: Vec<(FileFormat, String, Result<usize, ParseError>)>,
    /// Keys present in some formats only.
    pub only_in: Vec<PartialRow>,
    /// Cells that differ, each a difference or a note.
    pub differing: Vec<CellDifference>,
}

/// A row that only some formats have.
#[derive(Debug, Clone, Serialize)]
pub struct PartialRow {
    pub key: String,
    pub present_in: Vec<FileFormat>,
}

/// One cell whose value differs between formats.
#[derive(Debug, Clone, Serialize)]
pub struct CellDifference {
    pub key: String,
    pub column: &'static str,
    pub values: Vec<(FileFormat, String)>,
    /// Only a name or description differs, or only case and blanks: a note, not a
    /// difference.
    pub note: bool,
}

impl KindParity {
    /// Disagreements about values: rows one format lacks, cells that are not notes, and
    /// formats that cannot be read.
    pub fn differences(&self) -> usize {
        self.only_in.len()
            + self.differing.iter().filter(|c| !c.note).count()
            + self.formats.iter().filter(|(_, _, r)| r.is_err()).count()
    }

    /// Disagreements that only name things differently.
    pub fn notes(&self) -> usize {
        self.differing.iter().filter(|c| c.note).count()
    }

    /// The formats agree on every value (notes aside).
    pub fn agrees(&self) -> bool {
        self.differences() == 0
    }
}

/// Text that agrees but for case and blanks.
fn same_but_case_and_blanks(values: &[(FileFormat, String)]) -> bool {
    let plain = |v: &str| {
        v.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_uppercase()
    };
    values.windows(2).all(|w| plain(&w[0].1) == plain(&w[1].1))
}

fn parse_keyed(
    kind: FileKind,
    label: &str,
    format: FileFormat,
    bytes: &[u8],
) -> Result<Keyed, ParseError> {
    fn keyed<K: Kind>(label: &str, format: FileFormat, bytes: &[u8]) -> Result<Keyed, ParseError> {
        let parsed = K::PARSE(label, format, bytes)?;
        Ok(K::keyed(&parsed, format))
    }
    match kind {
        FileKind::Pprrvu => keyed::<pprrvu::Pprrvu>(label, format, bytes),
        FileKind::Gpci => keyed::<gpci::Gpci>(label, format, bytes),
        FileKind::Locco => keyed::<locco::Locco>(label, format, bytes),
        FileKind::Anes => keyed::<anes::Anes>(label, format, bytes),
        FileKind::Oppscap => keyed::<oppscap::Oppscap>(label, format, bytes),
    }
}

/// The columns of a kind that only name things.
fn name_columns(kind: FileKind) -> &'static [&'static str] {
    match kind {
        FileKind::Pprrvu => pprrvu::Pprrvu::NAME_COLUMNS,
        FileKind::Gpci => gpci::Gpci::NAME_COLUMNS,
        FileKind::Locco => locco::Locco::NAME_COLUMNS,
        FileKind::Anes => anes::Anes::NAME_COLUMNS,
        FileKind::Oppscap => oppscap::Oppscap::NAME_COLUMNS,
    }
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
                    let rows = keyed.keys().filter(|k| !k.starts_with("national")).count();
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
                && key.starts_with("national")
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
                    let values: Vec<(FileFormat, String)> = present
                        .iter()
                        .map(|(f, values)| (*f, values[column].1.clone()))
                        .collect();
                    differing.push(CellDifference {
                        key: key.clone(),
                        column: name,
                        note: name_columns(kind).contains(name)
                            || same_but_case_and_blanks(&values),
                        values,
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
