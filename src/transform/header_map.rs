//! Mapping a file's header labels to the fields a parser needs, by what the labels say
//! rather than where they stand, with an error that lists what was found when it fails.

use std::fmt::Debug;

use crate::transform::archive::FileKind;
use crate::transform::error::ParseError;

/// A header label as its meaning is read: lower case, footnote marks and non-breaking
/// spaces gone, runs of blanks made one, trimmed, and the typos CMS has shipped corrected
/// (`Adminstrative`, `FACILTY`). Recognisers compare these, so `Locality Number `,
/// `LOCALITY  NUMBER` and `Locality Number*` are one label.
pub fn normalize_label(label: &str) -> String {
    let cleaned: String = label
        .chars()
        .map(|c| match c {
            '*' | '\u{2020}' | '\u{2021}' | '\u{a0}' | '\u{b9}' | '\u{b2}' | '\u{b3}' => ' ',
            other => other.to_ascii_lowercase(),
        })
        .collect();
    let mut words = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    for (typo, word) in [("adminstrative", "administrative"), ("facilty", "facility")] {
        words = words.replace(typo, word);
    }
    words
}

/// Column index of each recognised field.
#[derive(Debug, Clone)]
pub struct HeaderMap<F> {
    columns: Vec<(F, usize)>,
}

impl<F: Copy + PartialEq + Debug> HeaderMap<F> {
    /// Recognises each label with `recognise`; every field in `required` must be found, and
    /// no field twice. Unrecognised labels are allowed only when blank.
    pub fn build(
        file: &str,
        kind: FileKind,
        line: u64,
        labels: &[String],
        recognise: impl Fn(&str) -> Option<F>,
        required: &[F],
    ) -> Result<HeaderMap<F>, ParseError> {
        let mut columns: Vec<(F, usize)> = Vec::new();
        let mut unknown = Vec::new();
        let mut repeated = Vec::new();
        for (index, label) in labels.iter().enumerate() {
            let label = label.trim();
            if label.is_empty() {
                continue;
            }
            match recognise(&normalize_label(label)) {
                Some(field) if columns.iter().any(|(f, _)| *f == field) => {
                    repeated.push(format!("'{label}'"));
                }
                Some(field) => columns.push((field, index)),
                None => unknown.push(format!("'{label}'")),
            }
        }
        let missing: Vec<String> = required
            .iter()
            .filter(|f| !columns.iter().any(|(c, _)| c == *f))
            .map(|f| format!("{f:?}"))
            .collect();
        if missing.is_empty() && unknown.is_empty() && repeated.is_empty() {
            return Ok(HeaderMap { columns });
        }
        let found = labels
            .iter()
            .map(|l| format!("'{}'", l.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let mut detail = format!("header on line {line}: columns found: {found}");
        if !missing.is_empty() {
            detail.push_str(&format!("; missing: {}", missing.join(", ")));
        }
        if !unknown.is_empty() {
            detail.push_str(&format!("; not recognised: {}", unknown.join(", ")));
        }
        if !repeated.is_empty() {
            detail.push_str(&format!("; repeated: {}", repeated.join(", ")));
        }
        Err(ParseError::UnknownLayout {
            file: file.to_string(),
            kind,
            detail,
        })
    }

    pub fn index(&self, field: F) -> Option<usize> {
        self.columns
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, i)| *i)
    }

    pub fn has(&self, field: F) -> bool {
        self.index(field).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_label;

    #[test]
    fn labels_are_read_by_meaning() {
        assert_eq!(normalize_label("  Locality  Number "), "locality number");
        assert_eq!(normalize_label("STATE "), "state");
        assert_eq!(
            normalize_label("Medicare Adminstrative Contractor"),
            "medicare administrative contractor"
        );
        assert_eq!(normalize_label("NON-FACILTY PRICE"), "non-facility price");
        assert_eq!(normalize_label("Locality Name**"), "locality name");
        assert_eq!(
            normalize_label("2025 PW GPCI\u{a0}(with 1.0 Floor)"),
            "2025 pw gpci (with 1.0 floor)"
        );
    }
}
