//! Mapping a file's header labels to the fields a parser needs, by what the labels say
//! rather than where they stand, with an error that lists what was found when it fails.

use std::fmt::Debug;

use crate::transform::archive::FileKind;
use crate::transform::error::ParseError;

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
            match recognise(label) {
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
