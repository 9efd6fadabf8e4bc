//! Priced lines out: the input's own columns, then what pricing found. CSV (to stdout or a
//! file) or Parquet, where money is `DECIMAL(18,2)`: a line's amounts are units times a
//! fee, so they take the warehouse's type for sums, not its `DECIMAL(9,2)` for one fee.

use std::io::Write;

use polars::prelude::*;

use crate::cf_variant::CfVariant;
use crate::fee::{Cents, cents_text};
use crate::load::frame::{date_column, money_column};
use crate::pricing::error::PricingError;
use crate::pricing::input::ClaimFile;
use crate::pricing::rules::Priced;
use crate::schema::{ColumnDef, ColumnType, priced_lines as out};

/// The columns pricing adds, in order.
pub const RESULT_COLUMNS: [ColumnDef; 15] = out::RESULTS;

fn money(cents: Option<Cents>) -> String {
    cents.map_or(String::new(), cents_text)
}

/// The MAC and locality a line was priced in, when it got that far.
fn place(p: &Priced) -> Option<(&str, &str)> {
    p.place
        .as_deref()
        .map(|pl| (pl.mac.as_str(), pl.locality.as_str()))
}

fn cells(p: &Priced, row: usize) -> [String; 15] {
    let (mac, locality) = place(p).unwrap_or_default();
    [
        p.schedule
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        p.release_id.as_deref().unwrap_or_default().to_string(),
        p.cf_variant
            .map(CfVariant::as_str)
            .unwrap_or_default()
            .to_string(),
        p.setting
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        mac.to_string(),
        locality.to_string(),
        money(p.fee_schedule_amount),
        money(p.allowed),
        money(p.limiting_charge),
        money(p.coinsurance),
        p.adjustments.join("; "),
        p.priced.to_string(),
        p.reason.clone().unwrap_or_default(),
        p.warnings.join("; "),
        row.to_string(),
    ]
}

/// The input's columns that pricing does not itself write (an input `mac` column is
/// replaced by the one used).
fn kept_columns(input: &ClaimFile) -> Vec<usize> {
    (0..input.columns.len())
        .filter(|&c| {
            !RESULT_COLUMNS
                .iter()
                .any(|r| r.name.eq_ignore_ascii_case(&input.columns[c]))
        })
        .collect()
}

/// Text joined with `; ` per line, into one column (one buffer reused, no string per line).
fn joined<'p, T: AsRef<str> + 'p>(
    name: &str,
    priced: &'p [Priced],
    get: impl Fn(&'p Priced) -> &'p [T],
    empty_is_null: bool,
) -> Column {
    let mut builder = StringChunkedBuilder::new(name.into(), priced.len());
    let mut text = String::new();
    for p in priced {
        text.clear();
        for (i, part) in get(p).iter().enumerate() {
            if i > 0 {
                text.push_str("; ");
            }
            text.push_str(part.as_ref());
        }
        if text.is_empty() && empty_is_null {
            builder.append_null();
        } else {
            builder.append_value(&text);
        }
    }
    builder.finish().into_column()
}

/// An input column in Parquet: the columns the pricer reads with their declared types
/// (`date_of_service` a date, `units` an integer, `participating` and `qp` flags, as the
/// lines were read), any other as the text given.
fn input_column(input: &ClaimFile, c: usize) -> Column {
    let name = input.columns[c].as_str();
    let lines = &input.lines;
    let typed = out::TYPED_INPUTS
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case(name))
        .map(|t| t.ty);
    match typed {
        Some(ColumnType::Date) => date_column(name, lines.iter().map(|l| l.date_of_service)),
        Some(ColumnType::Int64) => Column::new(
            name.into(),
            lines.iter().map(|l| i64::from(l.units)).collect::<Vec<_>>(),
        ),
        Some(ColumnType::Bool) if out::QP.name.eq_ignore_ascii_case(name) => {
            Column::new(name.into(), lines.iter().map(|l| l.qp).collect::<Vec<_>>())
        }
        Some(ColumnType::Bool) => Column::new(
            name.into(),
            lines.iter().map(|l| l.participating).collect::<Vec<_>>(),
        ),
        _ => input.cells[c].clone().with_name(name.into()).into_column(),
    }
}

pub fn frame(input: &ClaimFile, priced: &[Priced]) -> PolarsResult<DataFrame> {
    let kept = kept_columns(input);
    let mut columns: Vec<Column> = kept.iter().map(|&c| input_column(input, c)).collect();
    let text = |column: ColumnDef, get: &dyn Fn(&Priced) -> Option<&str>| {
        Column::new(
            column.name.into(),
            priced.iter().map(get).collect::<Vec<_>>(),
        )
    };
    columns.push(text(out::SCHEDULE, &|p| p.schedule.map(|s| s.as_str())));
    columns.push(text(out::RELEASE_ID, &|p| p.release_id.as_deref()));
    columns.push(text(out::CF_VARIANT, &|p| {
        p.cf_variant.map(CfVariant::as_str)
    }));
    columns.push(text(out::SETTING, &|p| p.setting.map(|s| s.as_str())));
    columns.push(text(out::MAC, &|p| place(p).map(|(mac, _)| mac)));
    columns.push(text(out::LOCALITY, &|p| {
        place(p).map(|(_, locality)| locality)
    }));
    columns.push(money_column(
        out::FEE_SCHEDULE_AMOUNT,
        priced.iter().map(|p| p.fee_schedule_amount),
    )?);
    columns.push(money_column(
        out::ALLOWED,
        priced.iter().map(|p| p.allowed),
    )?);
    columns.push(money_column(
        out::LIMITING_CHARGE,
        priced.iter().map(|p| p.limiting_charge),
    )?);
    columns.push(money_column(
        out::COINSURANCE,
        priced.iter().map(|p| p.coinsurance),
    )?);
    columns.push(joined(
        out::ADJUSTMENTS.name,
        priced,
        |p| &p.adjustments,
        false,
    ));
    columns.push(Column::new(
        out::PRICED.name.into(),
        priced.iter().map(|p| p.priced).collect::<Vec<_>>(),
    ));
    columns.push(text(out::REASON, &|p| p.reason.as_deref()));
    columns.push(joined(out::WARNINGS.name, priced, |p| &p.warnings, true));
    columns.push(Column::new(
        out::LINE.name.into(),
        input.lines.iter().map(|l| l.row as i64).collect::<Vec<_>>(),
    ));
    DataFrame::new(priced.len(), columns)
}

/// The header of priced lines: the input's kept columns, then pricing's.
fn write_header<W: Write>(
    writer: &mut csv::Writer<W>,
    input: &ClaimFile,
) -> Result<(), PricingError> {
    let names: Vec<&str> = kept_columns(input)
        .iter()
        .map(|&c| input.columns[c].as_str())
        .chain(RESULT_COLUMNS.iter().map(|c| c.name))
        .collect();
    writer.write_record(&names)?;
    Ok(())
}

/// Priced lines written chunk by chunk as they are priced: CSV records, or Parquet row
/// groups (money `DECIMAL(18,2)`, typed inputs as read).
pub enum PricedWriter<W: Write> {
    Csv {
        writer: Box<csv::Writer<W>>,
        header: bool,
    },
    Parquet(Box<crate::load::parquet_file::ParquetStream<W>>),
}

impl<W: Write> PricedWriter<W> {
    /// CSV on `out`.
    pub fn csv(out: W) -> PricedWriter<W> {
        PricedWriter::Csv {
            writer: Box::new(csv::Writer::from_writer(out)),
            header: false,
        }
    }

    /// Parquet on `out`, with the columns of `empty` (the input's, no lines) priced.
    pub fn parquet(out: W, empty: &ClaimFile) -> Result<PricedWriter<W>, PricingError> {
        let schema = frame(empty, &[])?.schema().as_ref().clone();
        Ok(PricedWriter::Parquet(Box::new(
            crate::load::parquet_file::ParquetStream::new(out, &schema)?,
        )))
    }

    /// Appends a chunk's priced lines.
    pub fn write(&mut self, input: &ClaimFile, priced: &[Priced]) -> Result<(), PricingError> {
        match self {
            PricedWriter::Csv { writer, header } => {
                let kept = kept_columns(input);
                if !*header {
                    write_header(writer, input)?;
                    *header = true;
                }
                let mut record = csv::StringRecord::new();
                for (row, p) in priced.iter().enumerate() {
                    record.clear();
                    for &c in &kept {
                        record.push_field(input.cell(row, c));
                    }
                    for cell in cells(p, input.lines[row].row) {
                        record.push_field(&cell);
                    }
                    writer.write_record(&record)?;
                }
                Ok(())
            }
            PricedWriter::Parquet(stream) => {
                stream.write(&frame(input, priced)?)?;
                Ok(())
            }
        }
    }

    /// Ends the output (a Parquet file's footer); an input of no lines still gets its
    /// header (`empty`: the input's columns).
    pub fn finish(self, empty: &ClaimFile) -> Result<(), PricingError> {
        match self {
            PricedWriter::Csv { mut writer, header } => {
                if !header {
                    write_header(&mut writer, empty)?;
                }
                writer.flush()?;
                Ok(())
            }
            PricedWriter::Parquet(stream) => {
                stream.finish()?;
                Ok(())
            }
        }
    }
}

/// What a pricing run did, told at its end and in its log: lines priced and not (by
/// reason), and the allowed total.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PricedTotals {
    pub lines: u64,
    pub priced: u64,
    pub allowed: Cents,
    /// Lines not priced, by their reason (at most [`PricedTotals::REASONS`] reasons; the
    /// rest are counted under `other reasons`).
    pub not_priced: std::collections::BTreeMap<String, u64>,
}

impl PricedTotals {
    /// Distinct reasons kept: every line has one, and a file of unknown codes has as many.
    pub const REASONS: usize = 1_000;

    pub fn add(&mut self, priced: &[Priced]) {
        for p in priced {
            self.lines += 1;
            if p.priced {
                self.priced += 1;
                self.allowed += p.allowed.unwrap_or(0);
                continue;
            }
            let reason = p.reason.as_deref().unwrap_or("no reason given");
            let full = self.not_priced.len() >= Self::REASONS;
            match self.not_priced.get_mut(reason) {
                Some(count) => *count += 1,
                None if !full => {
                    self.not_priced.insert(reason.to_string(), 1);
                }
                None => {
                    *self
                        .not_priced
                        .entry("other reasons".to_string())
                        .or_insert(0) += 1
                }
            }
        }
    }

    /// The reasons, most frequent first.
    pub fn reasons(&self) -> Vec<(&str, u64)> {
        let mut reasons: Vec<(&str, u64)> = self
            .not_priced
            .iter()
            .map(|(r, n)| (r.as_str(), *n))
            .collect();
        reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        reasons
    }
}
