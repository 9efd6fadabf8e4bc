//! Text decoding for CMS files.
//!
//! CMS writes its CSV and TXT files in Windows-1252 (descriptions hold bytes such as 0x92,
//! a right single quote), never UTF-8. Decoding them as UTF-8 would either fail or silently
//! mangle those characters, so every text member goes through here.

use std::borrow::Cow;

/// Decodes Windows-1252 bytes. Every byte maps to a character, so this cannot fail; a UTF-8
/// byte-order mark, which no CMS file has but a re-saved copy might, is dropped.
pub fn decode_windows_1252(bytes: &[u8]) -> Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(bytes)
        .0
}

/// Text with characters that Windows-1252 has no byte for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("characters not in Windows-1252: {0:?}")]
pub struct Unencodable(pub String);

/// Encodes text as Windows-1252 for files the project writes in CMS's shape. Characters
/// outside the code page are an error: a fixture must not silently differ from its source.
pub fn encode_windows_1252(text: &str) -> Result<Vec<u8>, Unencodable> {
    let (bytes, _, had_unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    if had_unmappable {
        let bad: String = text
            .chars()
            .filter(|c| {
                let mut buf = [0u8; 4];
                encoding_rs::WINDOWS_1252.encode(c.encode_utf8(&mut buf)).2
            })
            .collect();
        return Err(Unencodable(bad));
    }
    Ok(bytes.into_owned())
}

/// True for a cell holding only blanks, or CMS's end-of-file Ctrl-Z (0x1A).
pub fn is_blank_or_eof(cell: &str) -> bool {
    cell.trim_matches(|c: char| c.is_whitespace() || c == '\u{1a}')
        .is_empty()
}

/// Digits with thousands separators: `2000000` as `2,000,000`.
pub fn thousands(digits: &str) -> String {
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    grouped
}

/// A value as an error quotes it: `'7.77'`, or at most 57 characters and its length
/// (`'99999...' (2,000,001 characters)`), so garbage never floods a message or a log.
pub fn quoted(value: &str) -> String {
    let count = value.chars().count();
    if count <= 60 {
        return format!("'{value}'");
    }
    let head: String = value.chars().take(57).collect();
    let grouped = thousands(&count.to_string());
    format!("'{head}...' ({grouped} characters)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_windows_1252_punctuation() {
        assert_eq!(
            decode_windows_1252(b"Patient\x92s visit"),
            "Patient\u{2019}s visit"
        );
        assert_eq!(
            decode_windows_1252(b"\x93quoted\x94 \x96 \xe9"),
            "\u{201c}quoted\u{201d} \u{2013} \u{e9}"
        );
        assert_eq!(decode_windows_1252(b"\xEF\xBB\xBFHCPCS"), "HCPCS");
        assert_eq!(decode_windows_1252(b"\x1a,,"), "\u{1a},,");
    }

    #[test]
    fn encodes_round_trip_and_refuses_unmappable() {
        let text = "Patient\u{2019}s visit, \u{e9}";
        assert_eq!(
            decode_windows_1252(&encode_windows_1252(text).unwrap()),
            text
        );
        assert!(encode_windows_1252("\u{4e2d}").is_err());
    }

    #[test]
    fn blank_and_eof_cells() {
        assert!(is_blank_or_eof(""));
        assert!(is_blank_or_eof("  "));
        assert!(is_blank_or_eof("\u{1a}"));
        assert!(!is_blank_or_eof("0"));
    }
}
