//! Building a table's frame column by column, with the warehouse's conventions in one
//! place: exact decimals stored as the nearest double, blank indicators as null, and the
//! release columns every per-release table starts with.

use chrono::NaiveDate;
use polars::prelude::*;

use crate::decimal::Decimal;
use crate::release::ReleaseId;

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

/// Accumulates the columns of one table over rows of type `R`.
pub struct FrameBuilder<'a, R> {
    rows: &'a [R],
    columns: Vec<Column>,
}

impl<'a, R> FrameBuilder<'a, R> {
    pub fn new(rows: &'a [R]) -> Self {
        FrameBuilder {
            rows,
            columns: Vec::new(),
        }
    }

    /// `release_id` and `effective_from`, the same on every row. (`year` and `release` are
    /// hive keys in the path, never columns in the file.)
    pub fn release(mut self, release: &ReleaseId, effective_from: NaiveDate) -> Self {
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

    pub fn number(mut self, name: &str, get: impl Fn(&R) -> Decimal) -> Self {
        let values: Vec<f64> = self.rows.iter().map(|r| get(r).to_f64()).collect();
        self.columns.push(Column::new(name.into(), values));
        self
    }

    pub fn optional_number(mut self, name: &str, get: impl Fn(&R) -> Option<Decimal>) -> Self {
        let values: Vec<Option<f64>> = self
            .rows
            .iter()
            .map(|r| get(r).map(Decimal::to_f64))
            .collect();
        self.columns.push(Column::new(name.into(), values));
        self
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
        DataFrame::new(self.rows.len(), self.columns)
    }
}
