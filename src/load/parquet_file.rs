//! Writing a table as one Parquet file, its row groups and column chunks encoded and
//! compressed on every core.
//!
//! polars' `ParquetWriter` encodes and compresses pages lazily, as the file writer pulls
//! them, so on one file all of it (Arrow export, statistics, encoding, zstd) ran on the
//! calling thread: 90% of a release's payment-table write was on one core. Here each row
//! group is a job: built (a [`RowGroups`] source may compute it only now, so a generated
//! table is never whole in memory), exported to Arrow, cut into pages and compressed, its
//! columns on workers of their own; only the finished pages are written out, in order. The
//! file is what polars writes (the same schema, Arrow metadata, encodings and statistics,
//! through polars-parquet's own page encoder), so every reader sees the same table.

use std::io::{BufWriter, Write};

use polars::prelude::*;
use polars_arrow::array::{Array, DictionaryArray, MutableBinaryViewArray, PrimitiveArray};
use polars_arrow::datatypes::IntegerType;
use polars_parquet::write::{
    CompressedPage, CompressionOptions, Encoding, ParquetType, StatisticsOptions, Version,
    WriteOptions, ZstdLevel, array_to_columns, compress, get_dtype_encoding,
};

/// Rows per Parquet row group: large enough for good compression and statistics, small
/// enough that readers can skip by statistics within a big release.
pub const ROW_GROUP_SIZE: usize = 256 * 1024;
/// zstd level 1: most of the size gain of higher levels at a fraction of the time (the 1.1
/// million payment rows of a release write in about half the time of the default level).
const ZSTD_LEVEL: i32 = 1;
/// Row groups, and columns within one, encoded at once (each at most).
const MAX_WORKERS: usize = 2;
/// Arrow as polars writes it: string views, categoricals as dictionaries.
const COMPAT: CompatLevel = CompatLevel::newest();

/// A table as row groups, each built when it is written.
pub trait RowGroups: Sync {
    /// The columns every row group has.
    fn schema(&self) -> PolarsResult<Schema>;
    fn height(&self) -> usize;
    fn row_group_count(&self) -> usize;
    /// Row group `index` (`0..row_group_count()`), in file order.
    fn row_group(&self, index: usize) -> PolarsResult<DataFrame>;
}

/// A frame in memory, cut into row groups of [`ROW_GROUP_SIZE`] rows.
impl RowGroups for DataFrame {
    fn schema(&self) -> PolarsResult<Schema> {
        Ok(self.schema().as_ref().clone())
    }

    fn height(&self) -> usize {
        DataFrame::height(self)
    }

    fn row_group_count(&self) -> usize {
        DataFrame::height(self).div_ceil(ROW_GROUP_SIZE)
    }

    fn row_group(&self, index: usize) -> PolarsResult<DataFrame> {
        Ok(self.slice((index * ROW_GROUP_SIZE) as i64, ROW_GROUP_SIZE))
    }
}

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
    write_table(out, frame)
}

/// Writes a table to `out` as a Parquet file with the warehouse's settings, row group by
/// row group; returns the file's size in bytes.
pub fn write_table<W: Write>(out: W, table: &dyn RowGroups) -> PolarsResult<u64> {
    // The file writer emits each page header and the footer's metadata field by field: a
    // system call each, unbuffered (55 ms of a 2.2-million-row file).
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let size = write_buffered(&mut out, table)?;
    out.flush()?;
    Ok(size)
}

fn write_buffered<W: Write>(out: W, table: &dyn RowGroups) -> PolarsResult<u64> {
    let mut stream = ParquetStream::new(out, &table.schema()?)?;
    let groups: Vec<usize> = (0..table.row_group_count()).collect();
    let encoder = &stream.encoder;
    let encoded = crate::parallel::map(&groups, workers(groups.len()), |&index| {
        encoder
            .encode(&table.row_group(index)?)
            .map_err(|e| e.context(format!("row group {index}").into()))
    });
    for group in encoded {
        let (rows, pages) = group?;
        stream.writer.write_row_group(rows as u64, &pages)?;
    }
    stream.writer.finish()
}

/// A row group's height and its columns' pages.
type EncodedGroup = (usize, Vec<Vec<CompressedPage>>);

/// A Parquet file written as its rows arrive (priced claim lines, an impact table): each
/// [`ParquetStream::write`] adds row groups, encoded with the warehouse's settings on every
/// core, so a table of any length is never whole in memory.
pub struct ParquetStream<W: Write> {
    encoder: Encoder,
    writer: polars::io::parquet::write::BatchedWriter<W>,
}

/// What encoding a row group needs: the table's columns, their Parquet types and encodings.
struct Encoder {
    schema: Schema,
    fields: Vec<ParquetType>,
    encodings: Vec<Vec<Encoding>>,
}

impl<W: Write> ParquetStream<W> {
    /// A file of `schema`'s columns on `out` (buffer it: pages are written field by field).
    pub fn new(out: W, schema: &Schema) -> PolarsResult<ParquetStream<W>> {
        let mut writer = ParquetWriter::new(out)
            .with_compression(ParquetCompression::Zstd(Some(
                polars::polars_utils::compression::ZstdLevel::try_new(ZSTD_LEVEL)?,
            )))
            .with_statistics(StatisticsOptions::default())
            .batched(schema)?;
        let fields: Vec<ParquetType> = writer.parquet_schema().fields().to_vec();
        let encodings: Vec<Vec<Encoding>> = schema
            .iter_fields()
            .map(|field| get_dtype_encoding(&field.to_arrow(COMPAT).dtype))
            .collect();
        polars_ensure!(
            fields.len() == schema.len() && encodings.iter().all(|e| e.len() == 1),
            ComputeError: "only flat tables are written here"
        );
        Ok(ParquetStream {
            encoder: Encoder {
                schema: schema.clone(),
                fields,
                encodings,
            },
            writer,
        })
    }

    /// Appends `frame`'s rows, in row groups of at most [`ROW_GROUP_SIZE`].
    pub fn write(&mut self, frame: &DataFrame) -> PolarsResult<()> {
        let mut offset = 0;
        while offset < frame.height() {
            let group = frame.slice(offset as i64, ROW_GROUP_SIZE);
            let (rows, pages) = self.encoder.encode(&group)?;
            self.writer.write_row_group(rows as u64, &pages)?;
            offset += ROW_GROUP_SIZE;
        }
        Ok(())
    }

    /// Writes the footer; returns the file's size in bytes.
    pub fn finish(self) -> PolarsResult<u64> {
        self.writer.finish()
    }
}

impl Encoder {
    /// One row group's pages, its columns encoded on workers of their own.
    fn encode(&self, group: &DataFrame) -> PolarsResult<EncodedGroup> {
        polars_ensure!(
            group.schema().as_ref() == &self.schema,
            SchemaMismatch: "row group has columns {:?}, not the table's {:?}",
            group.schema(), self.schema
        );
        let columns: Vec<usize> = (0..group.width()).collect();
        let pages = crate::parallel::map(&columns, workers(columns.len()), |&column| {
            column_chunk(
                group.columns()[column].as_materialized_series(),
                &self.fields[column],
                &self.encodings[column],
                write_options(),
            )
        })
        .into_iter()
        .collect::<PolarsResult<Vec<_>>>()?;
        Ok((group.height(), pages))
    }
}

/// Workers for `jobs` jobs: the cores, at most [`MAX_WORKERS`].
fn workers(jobs: usize) -> usize {
    crate::parallel::workers(MAX_WORKERS).min(jobs.max(1))
}

/// One column of one row group: its pages, encoded and compressed.
fn column_chunk(
    series: &Series,
    field: &ParquetType,
    encoding: &[Encoding],
    options: WriteOptions,
) -> PolarsResult<Vec<CompressedPage>> {
    let series = series.rechunk();
    let array = match series.dtype() {
        DataType::Categorical(..) => categorical_to_arrow(&series)?,
        _ => series.to_arrow(0, COMPAT),
    };
    let mut pages = Vec::new();
    for column in array_to_columns(&array, field.clone(), options, encoding)? {
        for page in column {
            pages.push(compress(page?, Vec::new(), options.compression)?);
        }
    }
    Ok(pages)
}

/// A categorical column as an Arrow dictionary of the categories it uses, in the order
/// they first appear: what polars' own export makes, with a table indexed by category id
/// where polars hashes every value into an index map (7% of a release build's time, on the
/// payment table's five categorical columns).
fn categorical_to_arrow(series: &Series) -> PolarsResult<ArrayRef> {
    let categorical = series.cat32()?;
    let mapping = categorical.get_mapping();
    let ids = categorical.physical();
    let array = ids.downcast_as_array();
    let size = array
        .values()
        .iter()
        .copied()
        .max()
        .map_or(0, |max| max as usize + 1);
    let mut remap = vec![u32::MAX; size];
    let mut values = MutableBinaryViewArray::<str>::with_capacity(64);
    let mut keys = Vec::with_capacity(array.len());
    for (position, &id) in array.values().iter().enumerate() {
        if !array.is_valid(position) {
            keys.push(0);
            continue;
        }
        let slot = &mut remap[id as usize];
        if *slot == u32::MAX {
            let text = mapping.cat_to_str(id).ok_or_else(
                || polars_err!(ComputeError: "column {}: category {id} has no text", series.name()),
            )?;
            *slot = values.len() as u32;
            values.push_value(text);
        }
        keys.push(*slot);
    }
    let keys = PrimitiveArray::<u32>::new(
        ArrowDataType::UInt32,
        keys.into(),
        array.validity().cloned(),
    );
    let values = values.freeze().boxed();
    let dtype =
        ArrowDataType::Dictionary(IntegerType::UInt32, Box::new(values.dtype().clone()), false);
    Ok(DictionaryArray::<u32>::try_new(dtype, keys, values)?.boxed())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_back(bytes: Vec<u8>) -> DataFrame {
        ParquetReader::new(std::io::Cursor::new(bytes))
            .finish()
            .unwrap()
    }

    #[test]
    fn a_frame_reads_back_equal_with_its_categoricals() {
        let codes = ["99213", "99214", "", "J1100", "99213"];
        let categorical = Series::new("code".into(), codes)
            .cast(&DataType::from_categories(Categories::global()))
            .unwrap();
        let frame = DataFrame::new(
            5,
            vec![
                categorical.into_column(),
                Column::new("n".into(), [1i32, 2, 3, 4, 5]),
                Column::new("t".into(), [Some("a"), None, Some("c"), Some("d"), None]),
            ],
        )
        .unwrap();
        let mut bytes = Vec::new();
        write_frame(&mut bytes, &frame).unwrap();
        let back = read_back(bytes);
        assert!(matches!(
            back.column("code").unwrap().dtype(),
            DataType::Categorical(..)
        ));
        let back = back
            .lazy()
            .with_column(col("code").cast(DataType::String))
            .collect()
            .unwrap();
        let texts: Vec<Option<&str>> = back.column("code").unwrap().str().unwrap().iter().collect();
        assert_eq!(texts, codes.map(Some));
        assert!(back.column("n").unwrap().equals(frame.column("n").unwrap()));
        assert!(
            back.column("t")
                .unwrap()
                .equals_missing(frame.column("t").unwrap())
        );
    }

    /// A source whose row groups are computed: 2.5 groups of consecutive integers.
    struct Counting;

    impl RowGroups for Counting {
        fn schema(&self) -> PolarsResult<Schema> {
            Ok(Schema::from_iter([Field::new("i".into(), DataType::Int64)]))
        }
        fn height(&self) -> usize {
            ROW_GROUP_SIZE * 5 / 2
        }
        fn row_group_count(&self) -> usize {
            3
        }
        fn row_group(&self, index: usize) -> PolarsResult<DataFrame> {
            let start = (index * ROW_GROUP_SIZE) as i64;
            let end = (start + ROW_GROUP_SIZE as i64).min(self.height() as i64);
            DataFrame::new(
                (end - start) as usize,
                vec![Column::new("i".into(), (start..end).collect::<Vec<i64>>())],
            )
        }
    }

    #[test]
    fn generated_row_groups_are_written_in_order() {
        let mut bytes = Vec::new();
        write_table(&mut bytes, &Counting).unwrap();
        let back = read_back(bytes);
        let values = back.column("i").unwrap().i64().unwrap();
        assert_eq!(back.height(), ROW_GROUP_SIZE * 5 / 2);
        assert!(
            values
                .into_no_null_iter()
                .enumerate()
                .all(|(i, v)| v == i as i64)
        );
    }

    #[test]
    fn a_row_group_with_other_columns_is_an_error() {
        struct Wrong;
        impl RowGroups for Wrong {
            fn schema(&self) -> PolarsResult<Schema> {
                Ok(Schema::from_iter([Field::new("i".into(), DataType::Int32)]))
            }
            fn height(&self) -> usize {
                1
            }
            fn row_group_count(&self) -> usize {
                1
            }
            fn row_group(&self, _: usize) -> PolarsResult<DataFrame> {
                DataFrame::new(1, vec![Column::new("i".into(), [1i64])])
            }
        }
        let error = write_table(&mut Vec::new(), &Wrong).unwrap_err();
        assert!(error.to_string().contains("row group 0"), "{error}");
    }
}
