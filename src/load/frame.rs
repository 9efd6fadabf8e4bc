//! Building a table's frame column by column through its declaration (`crate::schema`),
//! with the warehouse's conventions in one place: CMS's numbers stored as Parquet `DECIMAL`
//! with the places CMS uses (so DuckDB, Spark and Power BI sum them exactly), blank
//! indicators as null, and the release columns every per-release table starts with. A frame
//! that does not match its table's declaration is an error, never a file.

use chrono::NaiveDate;
use polars::prelude::*;

use crate::decimal::Decimal;
use crate::schema::{ColumnDef, ColumnType, Places, TableDef};

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

/// A money column (or one of one service's amounts) from cents, as `column` declares it.
pub fn money_column(
    column: ColumnDef,
    cents: impl IntoIterator<Item = Option<i64>>,
) -> PolarsResult<Column> {
    let places = column
        .places()
        .filter(|p| matches!(p, Places::Money | Places::Fee))
        .ok_or_else(|| polars_err!(ComputeError: "column {} is not money", column.name))?;
    cents_column(column.name, places, cents)
}

fn cents_column(
    name: &str,
    places: Places,
    cents: impl IntoIterator<Item = Option<i64>>,
) -> PolarsResult<Column> {
    decimal_column(name, places, cents.into_iter().map(|c| c.map(i128::from)))
}

/// Accumulates the columns of one table over rows of type `R`, each named and typed by
/// its declaration; [`FrameBuilder::finish`] checks the whole against the table's.
pub struct FrameBuilder<'a, R> {
    table: &'static TableDef,
    rows: &'a [R],
    columns: Vec<Column>,
    /// The first value that did not fit its column, reported by [`FrameBuilder::finish`].
    error: Option<PolarsError>,
}

impl<'a, R> FrameBuilder<'a, R> {
    pub fn new(table: &'static TableDef, rows: &'a [R]) -> Self {
        FrameBuilder {
            table,
            rows,
            columns: Vec::new(),
            error: None,
        }
    }

    /// Fails (at `finish`) when a column is written as another type than declared.
    fn expect(&mut self, column: &ColumnDef, written: ColumnType) {
        if column.ty != written && self.error.is_none() {
            self.error = Some(polars_err!(
                ComputeError: "table {}: column {} is declared {:?}, written as {written:?}",
                self.table.name, column.name, column.ty
            ));
        }
    }

    /// `release_id` and `effective_from` (the table's first two columns), the same on every
    /// row. (`year` and `release` are hive keys in the path, never columns in the file.)
    pub fn release(mut self, release: &impl std::fmt::Display, effective_from: NaiveDate) -> Self {
        let height = self.rows.len();
        let [release_id, from] = [&self.table.columns[0], &self.table.columns[1]];
        self.expect(release_id, ColumnType::Text);
        self.expect(from, ColumnType::Date);
        self.columns.push(Column::new(
            release_id.name.into(),
            vec![release.to_string(); height],
        ));
        self.columns.push(date_column(
            from.name,
            std::iter::repeat_n(Some(effective_from), height),
        ));
        self
    }

    /// Text computed per row (`2025D` from a `ReleaseId`).
    pub fn owned_text(mut self, column: ColumnDef, get: impl Fn(&R) -> String) -> Self {
        self.expect(&column, ColumnType::Text);
        let values: Vec<String> = self.rows.iter().map(get).collect();
        self.columns.push(Column::new(column.name.into(), values));
        self
    }

    pub fn date(mut self, column: ColumnDef, get: impl Fn(&R) -> Option<NaiveDate>) -> Self {
        self.expect(&column, ColumnType::Date);
        self.columns
            .push(date_column(column.name, self.rows.iter().map(get)));
        self
    }

    pub fn int32(mut self, column: ColumnDef, get: impl Fn(&R) -> i32) -> Self {
        self.expect(&column, ColumnType::Int32);
        let values: Vec<i32> = self.rows.iter().map(get).collect();
        self.columns.push(Column::new(column.name.into(), values));
        self
    }

    pub fn text(mut self, column: ColumnDef, get: impl Fn(&R) -> &str) -> Self {
        self.expect(&column, ColumnType::Text);
        let values: Vec<&str> = self.rows.iter().map(get).collect();
        self.columns.push(Column::new(column.name.into(), values));
        self
    }

    /// Text where blank means "no value": stored as null.
    pub fn indicator(mut self, column: ColumnDef, get: impl Fn(&R) -> &str) -> Self {
        self.expect(&column, ColumnType::Text);
        let values: Vec<Option<&str>> = self
            .rows
            .iter()
            .map(|r| Some(get(r)).filter(|v| !v.is_empty()))
            .collect();
        self.columns.push(Column::new(column.name.into(), values));
        self
    }

    pub fn optional_text(mut self, column: ColumnDef, get: impl Fn(&R) -> Option<&str>) -> Self {
        self.expect(&column, ColumnType::Text);
        let values: Vec<Option<&str>> = self.rows.iter().map(get).collect();
        self.columns.push(Column::new(column.name.into(), values));
        self
    }

    /// An exact decimal with the places its column declares.
    pub fn number(self, column: ColumnDef, get: impl Fn(&R) -> Decimal) -> Self {
        self.optional_number(column, |r| Some(get(r)))
    }

    pub fn optional_number(
        mut self,
        column: ColumnDef,
        get: impl Fn(&R) -> Option<Decimal>,
    ) -> Self {
        let Some(places) = column.places() else {
            self.expect(&column, ColumnType::Decimal(Places::Rvu));
            return self;
        };
        let values: PolarsResult<Vec<Option<i128>>> = self
            .rows
            .iter()
            .map(|r| get(r).map(|v| places.scaled(column.name, v)).transpose())
            .collect();
        self.push(values.and_then(|v| decimal_column(column.name, places, v)));
        self
    }

    /// Money (or one service's amount) from cents.
    pub fn money(mut self, column: ColumnDef, get: impl Fn(&R) -> Option<i64>) -> Self {
        let places = match column.places() {
            Some(places @ (Places::Money | Places::Fee)) => places,
            _ => {
                self.expect(&column, ColumnType::Decimal(Places::Money));
                return self;
            }
        };
        let column = cents_column(column.name, places, self.rows.iter().map(get));
        self.push(column);
        self
    }

    /// A national anesthesia CF as printed (a double holding at most six places).
    pub fn national_anes_cf(mut self, column: ColumnDef, get: impl Fn(&R) -> Option<f64>) -> Self {
        self.expect(&column, ColumnType::Decimal(Places::NationalAnesCf));
        let scale = 10_f64.powi(Places::NationalAnesCf.scale() as i32);
        let values: Vec<Option<i128>> = self
            .rows
            .iter()
            .map(|r| get(r).map(|v| (v * scale).round() as i128))
            .collect();
        self.push(decimal_column(column.name, Places::NationalAnesCf, values));
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

    pub fn optional_float(mut self, column: ColumnDef, get: impl Fn(&R) -> Option<f64>) -> Self {
        self.expect(&column, ColumnType::Float64);
        let values: Vec<Option<f64>> = self.rows.iter().map(get).collect();
        self.columns.push(Column::new(column.name.into(), values));
        self
    }

    pub fn flag(mut self, column: ColumnDef, get: impl Fn(&R) -> bool) -> Self {
        self.expect(&column, ColumnType::Bool);
        let values: Vec<bool> = self.rows.iter().map(get).collect();
        self.columns.push(Column::new(column.name.into(), values));
        self
    }

    pub fn integer(mut self, column: ColumnDef, get: impl Fn(&R) -> i64) -> Self {
        self.expect(&column, ColumnType::Int64);
        let values: Vec<i64> = self.rows.iter().map(get).collect();
        self.columns.push(Column::new(column.name.into(), values));
        self
    }

    pub fn finish(self) -> PolarsResult<DataFrame> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let frame = DataFrame::new(self.rows.len(), self.columns)?;
        self.table.check(frame.schema())?;
        Ok(frame)
    }
}
