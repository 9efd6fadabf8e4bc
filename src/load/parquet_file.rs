//! Writing a frame as one Parquet file, its column chunks encoded and compressed on every
//! core.
//!
//! polars' `ParquetWriter` encodes and compresses pages lazily, as the file writer pulls
//! them, so on one file all of it (Arrow export, statistics, encoding, zstd) runs on the
//! calling thread: 90% of a release's payment-table write was on one core. Here every
//! (row group, column) pair is an independent job: exported to Arrow, cut into pages and
//! compressed on a worker, and only the finished pages are written out in order. The file
//! is what polars writes (the same schema, Arrow metadata, encodings and statistics,
//! through polars-parquet's own page encoder), so every reader sees the same table.

use std::io::Write;

use polars::prelude::*;
use polars_parquet::write::{
    CompressedPage, CompressionOptions, Encoding, ParquetType, StatisticsOptions, Version,
    WriteOptions, ZstdLevel, array_to_columns, compress,
};

/// Rows per Parquet row group: large enough for good compression and statistics, small
/// enough that readers can skip by statistics within a big release.
pub const ROW_GROUP_SIZE: usize = 256 * 1024;
/// zstd level 1: most of the size gain of higher levels at a fraction of the time (the 1.1
/// million payment rows of a release write in about half the time of the default level).
const ZSTD_LEVEL: i32 = 1;
/// Jobs at once; more threads than cores only adds switching.
const MAX_WORKERS: usize = 4;

/// The settings of every Parquet file mpfs writes: zstd level 1, polars' default page size,
/// and min, max and null counts per page and column chunk (what readers prune by; distinct
/// counts would cost a pass per column and no reader here uses them).
fn write_options() -> WriteOptions {
    WriteOptions {
        statistics: StatisticsOptions::default(),
        version: Version::V1,
        compression: CompressionOptions::Zstd(Some(
            ZstdLevel::try_new(ZSTD_LEVEL).expect("a valid zstd level"),
        )),
        data_page_size: None,
    }
}

/// Writes `frame` to `out` as a Parquet file with the warehouse's settings; returns the
/// file's size in bytes.
pub fn write_frame<W: Write>(out: W, frame: &DataFrame) -> PolarsResult<u64> {
    let mut writer = ParquetWriter::new(out)
        .with_compression(ParquetCompression::Zstd(Some(
            polars::polars_utils::compression::ZstdLevel::try_new(ZSTD_LEVEL)?,
        )))
        .with_statistics(StatisticsOptions::default())
        .batched(frame.schema())?;
    let fields: Vec<ParquetType> = writer.parquet_schema().fields().to_vec();
    let options = write_options();
    let encodings: Vec<Vec<Encoding>> = frame
        .columns()
        .iter()
        .map(|c| polars_parquet::write::get_dtype_encoding(&c.field().to_arrow(COMPAT).dtype))
        .collect();
    polars_ensure!(
        fields.len() == frame.width() && encodings.iter().all(|e| e.len() == 1),
        ComputeError: "only flat tables are written here"
    );

    let height = frame.height();
    let row_groups: Vec<(usize, usize)> = (0..height)
        .step_by(ROW_GROUP_SIZE)
        .map(|offset| (offset, ROW_GROUP_SIZE.min(height - offset)))
        .collect();
    let jobs: Vec<(usize, usize)> = (0..row_groups.len())
        .flat_map(|group| (0..frame.width()).map(move |column| (group, column)))
        .collect();
    let workers = crate::parallel::workers(MAX_WORKERS);
    let mut encoded = crate::parallel::map(&jobs, workers, |&(group, column)| {
        let (offset, rows) = row_groups[group];
        let series = frame.columns()[column]
            .as_materialized_series()
            .slice(offset as i64, rows)
            .rechunk();
        column_chunk(
            &series.to_arrow(0, COMPAT),
            &fields[column],
            &encodings[column],
            options,
        )
    })
    .into_iter();

    for (_, rows) in &row_groups {
        let pages = encoded
            .by_ref()
            .take(frame.width())
            .collect::<PolarsResult<Vec<_>>>()?;
        writer.write_row_group(*rows as u64, &pages)?;
    }
    writer.finish()
}

/// Arrow as polars writes it: string views, categoricals as dictionaries.
const COMPAT: CompatLevel = CompatLevel::newest();

/// One column of one row group: its pages, encoded and compressed.
fn column_chunk(
    array: &ArrayRef,
    field: &ParquetType,
    encoding: &[Encoding],
    options: WriteOptions,
) -> PolarsResult<Vec<CompressedPage>> {
    let mut pages = Vec::new();
    for column in array_to_columns(array, field.clone(), options, encoding)? {
        for page in column {
            pages.push(compress(page?, Vec::new(), options.compression)?);
        }
    }
    Ok(pages)
}
