//! Building a table's frame column by column, with the warehouse's conventions in one
//! place: CMS's numbers stored as Parquet `DECIMAL` with the places CMS uses (so DuckDB,
//! Spark and Power BI sum them exactly), blank indicators as null, and the release columns
//! every per-release table starts with; and the one way numbers come back out of a frame.

use chrono::NaiveDate;
use polars::prelude::*;

use crate::decimal::Decimal;

/// Days from 1970-01-01, Arrow's date representation.
pub fn date_to_days(date: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid epoch");
    (date - epoch).num_days() as i32
}

/// A date column from optional dates.
pub fn date_column(name: &str, dates: impl Iterator<Item = Option<NaiveDate>>) -> Column {
    Int32Chunked::from_iter_options(name.into(), dates.map(|d| d.map(date_to_days)))
        .into_date()
        .into_series()
        .into_column()
}

/// The places a decimal column keeps, by what it holds: CMS's own precision. Precision is
/// what the largest real value needs with room: at most 9 digits where that is plenty, so
/// Parquet stores the column as a 32-bit integer, else at most 18 (a 64-bit integer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Places {
    /// RVUs and the operative shares: 2 places (`1.30`, `0.10`), up to 9,999,999.99.
    Rvu,
    /// GPCIs: 3 places (`0.869`).
    Gpci,
    /// Conversion factors, and locality anesthesia CFs: 4 places (`32.3465`).
    ConvFactor,
    /// One service's amount at one place: a fee schedule amount, an OPPS cap, a limiting
    /// charge. 2 places, up to $9,999,999.99: 500 times the largest real one (a $18,389.01
    /// limiting charge in 2025D). Half the bytes of [`Places::Money`] to encode and compress
    /// in the 1.1 million rows of a release's payment table (a 16-release build 4.2 -> 3.1 s).
    Fee,
    /// Dollars and cents of sums and differences: diff amounts and effects, priced claim
    /// lines (units times a fee), impact totals.
    Money,
    /// National anesthesia CFs as ANES headers print them: up to 6 places (`20.599835`).
    NationalAnesCf,
}

impl Places {
    pub const fn scale(self) -> usize {
        match self {
            Places::Rvu | Places::Fee | Places::Money => 2,
            Places::Gpci => 3,
            Places::ConvFactor => 4,
            Places::NationalAnesCf => 6,
        }
    }

    pub const fn precision(self) -> usize {
        match self {
            Places::Rvu | Places::Gpci | Places::ConvFactor | Places::Fee => 9,
            Places::NationalAnesCf => 12,
            Places::Money => 18,
        }
    }

    pub fn dtype(self) -> DataType {
        DataType::Decimal(self.precision(), self.scale())
    }

    /// A [`Decimal`] as an integer at this scale, or an error when it has more places.
    fn scaled(self, name: &str, value: Decimal) -> PolarsResult<i128> {
        let raw = i128::from(value.raw());
        let scale = self.scale() as u32;
        if scale >= Decimal::PLACES {
            return Ok(raw * 10_i128.pow(scale - Decimal::PLACES));
        }
        let divisor = 10_i128.pow(Decimal::PLACES - scale);
        polars_ensure!(
            raw % divisor == 0,
            ComputeError: "column {name}: {value} has more than {scale} decimal places"
        );
        Ok(raw / divisor)
    }
}

/// A decimal column from integers already at the column's scale (cents for money).
pub fn decimal_column(
    name: &str,
    places: Places,
    values: impl IntoIterator<Item = Option<i128>>,
) -> PolarsResult<Column> {
    let values = Int128Chunked::from_iter_options(name.into(), values.into_iter());
    Ok(into_decimal(values, places)?.into_series().into_column())
}

/// Integers at `places`' scale as its decimal type, or an error naming the column when a
/// value has more digits than the type holds (never a value cut short in the file).
pub fn into_decimal(values: Int128Chunked, places: Places) -> PolarsResult<DecimalChunked> {
    let name = values.name().clone();
    values
        .into_decimal(places.precision(), places.scale())
        .map_err(
            |e| polars_err!(ComputeError: "column {name} does not fit {:?} ({e})", places.dtype()),
        )
}

/// A money column from cents.
pub fn money_column(
    name: &str,
    cents: impl IntoIterator<Item = Option<i64>>,
) -> PolarsResult<Column> {
    cents_column(name, Places::Money, cents)
}

/// A column of one service's amounts ([`Places::Fee`]) from cents.
pub fn fee_column(
    name: &str,
    cents: impl IntoIterator<Item = Option<i64>>,
) -> PolarsResult<Column> {
    cents_column(name, Places::Fee, cents)
}

fn cents_column(
    name: &str,
    places: Places,
    cents: impl IntoIterator<Item = Option<i64>>,
) -> PolarsResult<Column> {
    decimal_column(name, places, cents.into_iter().map(|c| c.map(i128::from)))
}

/// The values of a decimal column (scale at most 4) as [`Decimal`]s: the one way numbers
/// come back out of the warehouse.
pub fn decimals(frame: &DataFrame, name: &str) -> PolarsResult<Vec<Option<Decimal>>> {
    let column = frame.column(name)?.decimal()?;
    let scale = column.scale() as u32;
    polars_ensure!(
        scale <= Decimal::PLACES,
        ComputeError: "column {name} has {scale} decimal places, more than {} kept in memory",
        Decimal::PLACES
    );
    let factor = 10_i128.pow(Decimal::PLACES - scale);
    Ok(column
        .physical()
        .iter()
        .map(|v| v.map(|v| Decimal::from_raw((v * factor) as i64)))
        .collect())
}

/// The values of a money column as cents.
pub fn cents(frame: &DataFrame, name: &str) -> PolarsResult<Vec<Option<i64>>> {
    let column = frame.column(name)?.decimal()?;
    polars_ensure!(
        column.scale() == 2,
        ComputeError: "column {name} is not money (scale {})", column.scale()
    );
    Ok(column
        .physical()
        .iter()
        .map(|v| v.map(|v| v as i64))
        .collect())
}

/// The values of a decimal column of any scale as the nearest doubles (for national
/// anesthesia CFs, which carry up to six places).
pub fn decimal_f64s(frame: &DataFrame, name: &str) -> PolarsResult<Vec<Option<f64>>> {
    let column = frame.column(name)?.decimal()?;
    let divisor = 10_f64.powi(column.scale() as i32);
    Ok(column
        .physical()
        .iter()
        .map(|v| v.map(|v| v as f64 / divisor))
        .collect())
}

/// Accumulates the columns of one table over rows of type `R`.
pub struct FrameBuilder<'a, R> {
    rows: &'a [R],
    columns: Vec<Column>,
    /// The first value that did not fit its column, reported by [`FrameBuilder::finish`].
    error: Option<PolarsError>,
}

impl<'a, R> FrameBuilder<'a, R> {
    pub fn new(rows: &'a [R]) -> Self {
        FrameBuilder {
            rows,
            columns: Vec::new(),
            error: None,
        }
    }

    /// `release_id` and `effective_from`, the same on every row. (`year` and `release` are
    /// hive keys in the path, never columns in the file.)
    pub fn release(mut self, release: &impl std::fmt::Display, effective_from: NaiveDate) -> Self {
        let height = self.rows.len();
        self.columns.push(Column::new(
            "release_id".into(),
            vec![release.to_string(); height],
        ));
        self.columns.push(date_column(
            "effective_from",
            std::iter::repeat_n(Some(effective_from), height),
        ));
        self
    }

    /// Text computed per row (`2025D` from a `ReleaseId`).
    pub fn owned_text(mut self, name: &str, get: impl Fn(&R) -> String) -> Self {
        let values: Vec<String> = self.rows.iter().map(get).collect();
        self.columns.push(Column::new(name.into(), values));
        self
    }

    pub fn date(mut self, name: &str, get: impl Fn(&R) -> Option<NaiveDate>) -> Self {
        self.columns
            .push(date_column(name, self.rows.iter().map(get)));
        self
    }

    pub fn int32(mut self, name: &str, get: impl Fn(&R) -> i32) -> Self {
        let values: Vec<i32> = self.rows.iter().map(get).collect();
        self.columns.push(Column::new(name.into(), values));
        self
    }

    pub fn text(mut self, name: &str, get: impl Fn(&R) -> &str) -> Self {
        let values: Vec<&str> = self.rows.iter().map(get).collect();
        self.columns.push(Column::new(name.into(), values));
        self
    }

    /// Text where blank means "no value": stored as null.
    pub fn indicator(mut self, name: &str, get: impl Fn(&R) -> &str) -> Self {
        let values: Vec<Option<&str>> = self
            .rows
            .iter()
            .map(|r| Some(get(r)).filter(|v| !v.is_empty()))
            .collect();
        self.columns.push(Column::new(name.into(), values));
        self
    }

    pub fn optional_text(mut self, name: &str, get: impl Fn(&R) -> Option<&str>) -> Self {
        let values: Vec<Option<&str>> = self.rows.iter().map(get).collect();
        self.columns.push(Column::new(name.into(), values));
        self
    }

    /// An exact decimal with the places its kind of number has.
    pub fn number(self, name: &str, places: Places, get: impl Fn(&R) -> Decimal) -> Self {
        self.optional_number(name, places, |r| Some(get(r)))
    }

    pub fn optional_number(
        mut self,
        name: &str,
        places: Places,
        get: impl Fn(&R) -> Option<Decimal>,
    ) -> Self {
        let values: PolarsResult<Vec<Option<i128>>> = self
            .rows
            .iter()
            .map(|r| get(r).map(|v| places.scaled(name, v)).transpose())
            .collect();
        self.push(values.and_then(|v| decimal_column(name, places, v)));
        self
    }

    /// Money from cents.
    pub fn money(mut self, name: &str, get: impl Fn(&R) -> Option<i64>) -> Self {
        let column = money_column(name, self.rows.iter().map(get));
        self.push(column);
        self
    }

    /// A national anesthesia CF as printed (a double holding at most six places).
    pub fn national_anes_cf(mut self, name: &str, get: impl Fn(&R) -> Option<f64>) -> Self {
        let scale = 10_f64.powi(Places::NationalAnesCf.scale() as i32);
        let values: Vec<Option<i128>> = self
            .rows
            .iter()
            .map(|r| get(r).map(|v| (v * scale).round() as i128))
            .collect();
        self.push(decimal_column(name, Places::NationalAnesCf, values));
        self
    }

    fn push(&mut self, column: PolarsResult<Column>) {
        match column {
            Ok(column) => self.columns.push(column),
            Err(error) => {
                self.error.get_or_insert(error);
            }
        }
    }

    /// A double computed per row (money already rounded to cents).
    pub fn float(mut self, name: &str, get: impl Fn(&R) -> f64) -> Self {
        let values: Vec<f64> = self.rows.iter().map(get).collect();
        self.columns.push(Column::new(name.into(), values));
        self
    }

    pub fn optional_float(mut self, name: &str, get: impl Fn(&R) -> Option<f64>) -> Self {
        let values: Vec<Option<f64>> = self.rows.iter().map(get).collect();
        self.columns.push(Column::new(name.into(), values));
        self
    }

    pub fn flag(mut self, name: &str, get: impl Fn(&R) -> bool) -> Self {
        let values: Vec<bool> = self.rows.iter().map(get).collect();
        self.columns.push(Column::new(name.into(), values));
        self
    }

    pub fn integer(mut self, name: &str, get: impl Fn(&R) -> i64) -> Self {
        let values: Vec<i64> = self.rows.iter().map(get).collect();
        self.columns.push(Column::new(name.into(), values));
        self
    }

    pub fn finish(self) -> PolarsResult<DataFrame> {
        if let Some(error) = self.error {
            return Err(error);
        }
        DataFrame::new(self.rows.len(), self.columns)
    }
}
