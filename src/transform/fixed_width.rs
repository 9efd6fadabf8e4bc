//! CMS's fixed-width TXT files: records sliced by 1-based column positions.
//!
//! Slicing happens on the raw Windows-1252 bytes, where one byte is one column, and only the
//! slice is decoded: a decoded line may hold multi-byte UTF-8 characters (0x92 becomes `’`),
//! which would shift every column after it.

use crate::transform::text::decode_windows_1252;

/// A record line of a TXT member, still in Windows-1252 bytes.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    pub line: u64,
    pub bytes: &'a [u8],
}

impl Record<'_> {
    /// Columns `from..=to` (1-based, inclusive), decoded and trimmed; `""` past the end.
    pub fn field(&self, from: usize, to: usize) -> String {
        decode_windows_1252(slice(self.bytes, from, to))
            .trim()
            .to_string()
    }

    /// The record's length in columns, line end excluded.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// Bytes `from..=to` (1-based, inclusive) of a line, clipped to the line; never panics.
pub fn slice(bytes: &[u8], from: usize, to: usize) -> &[u8] {
    let start = from.saturating_sub(1).min(bytes.len());
    let end = to.min(bytes.len()).max(start);
    &bytes[start..end]
}

/// Every line of a TXT member with its 1-based number, line ends (CRLF or LF) removed.
pub fn lines(bytes: &[u8]) -> impl Iterator<Item = Record<'_>> {
    bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .map(|(i, line)| Record {
            line: i as u64 + 1,
            bytes: line.strip_suffix(b"\r").unwrap_or(line),
        })
}

/// True for lines that hold no record: blank, or CMS's Ctrl-Z end-of-file byte.
pub fn is_blank(record: &Record<'_>) -> bool {
    record
        .bytes
        .iter()
        .all(|b| b.is_ascii_whitespace() || *b == 0x1a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn slices_by_one_based_inclusive_columns() {
        let line = b"71046  X-ray    A   0.22";
        assert_eq!(slice(line, 1, 5), b"71046");
        assert_eq!(slice(line, 6, 7), b"  ");
        assert_eq!(slice(line, 21, 24), b"0.22");
        assert_eq!(slice(line, 21, 99), b"0.22");
        assert_eq!(slice(line, 90, 99), b"");
    }

    #[test]
    fn decodes_only_the_slice() {
        let line = b"99999  Provider\x92s visit     A";
        let record = Record {
            line: 1,
            bytes: line,
        };
        assert_eq!(record.field(8, 23), "Provider\u{2019}s visit");
        assert_eq!(record.field(29, 29), "A");
    }

    #[test]
    fn lines_drop_crlf_and_count_from_one() {
        let numbered: Vec<(u64, &[u8])> = lines(b"HDR a\r\n\r\nrow\n\x1a")
            .map(|r| (r.line, r.bytes))
            .collect();
        assert_eq!(
            numbered,
            vec![(1, &b"HDR a"[..]), (2, b""), (3, b"row"), (4, b"\x1a")]
        );
        assert!(lines(b"\x1a").all(|r| is_blank(&r)));
    }

    proptest! {
        #[test]
        fn slicing_never_panics_and_matches_the_definition(
            bytes in proptest::collection::vec(any::<u8>(), 0..300),
            from in 0usize..400,
            width in 0usize..50,
        ) {
            let to = from + width;
            let got = slice(&bytes, from, to);
            let expected: Vec<u8> = bytes
                .iter()
                .enumerate()
                .filter(|(i, _)| i + 1 >= from.max(1) && *i < to)
                .map(|(_, b)| *b)
                .collect();
            prop_assert_eq!(got, &expected[..]);
        }
    }
}
