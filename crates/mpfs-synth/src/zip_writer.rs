//! Deterministic zip writing for synthetic releases: fixed timestamps and permissions, so
//! regenerating the fixtures yields the same bytes.

use std::io::{Cursor, Write};

use ::zip::write::SimpleFileOptions;
use ::zip::{CompressionMethod, DateTime, ZipWriter};

/// Builds a zip holding `members` (path, bytes) in the order given.
pub fn zip_bytes(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let stamp = DateTime::from_date_and_time(2020, 1, 1, 0, 0, 0).expect("valid zip timestamp");
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(stamp)
        .unix_permissions(0o644);
    for (path, bytes) in members {
        writer
            .start_file(path.as_str(), options)
            .expect("writing to memory cannot fail");
        writer
            .write_all(bytes)
            .expect("writing to memory cannot fail");
    }
    writer
        .finish()
        .expect("writing to memory cannot fail")
        .into_inner()
}
