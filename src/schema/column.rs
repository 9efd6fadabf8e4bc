//! A column's declaration: name, type, meaning; and the one way its values are read back
//! out of a frame.

use chrono::NaiveDate;
use polars::prelude::*;

use crate::decimal::Decimal;

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
    /// A Part B drug's payment limit per billing unit, as CMS's ASP file prints it: 3
    /// places (`60.291`), up to 999,999,999.999 (a unit can be a whole course of therapy).
    DrugLimit,
    /// A percentage with CMS's 3 places: ASP coinsurance (`17.508`), AWP shares (`95.000`).
    Percent,
}

impl Places {
    pub const fn scale(self) -> usize {
        match self {
            Places::Rvu | Places::Fee | Places::Money => 2,
            Places::Gpci => 3,
            Places::ConvFactor => 4,
            Places::NationalAnesCf => 6,
            Places::DrugLimit | Places::Percent => 3,
        }
    }

    pub const fn precision(self) -> usize {
        match self {
            Places::Rvu | Places::Gpci | Places::ConvFactor | Places::Fee => 9,
            Places::NationalAnesCf | Places::DrugLimit => 12,
            Places::Percent => 6,
            Places::Money => 18,
        }
    }

    pub fn dtype(self) -> DataType {
        DataType::Decimal(self.precision(), self.scale())
    }

    /// A [`Decimal`] as an integer at this scale, or an error when it has more places.
    pub fn scaled(self, name: &str, value: Decimal) -> PolarsResult<i128> {
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

/// What a column holds, as Parquet stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Text,
    Date,
    Int32,
    Int64,
    Bool,
    /// A ratio that is not a CMS number (a percent change).
    Float64,
    Decimal(Places),
}

impl ColumnType {
    /// The polars type a writer gives the column.
    pub fn dtype(self) -> DataType {
        match self {
            ColumnType::Text => DataType::String,
            ColumnType::Date => DataType::Date,
            ColumnType::Int32 => DataType::Int32,
            ColumnType::Int64 => DataType::Int64,
            ColumnType::Bool => DataType::Boolean,
            ColumnType::Float64 => DataType::Float64,
            ColumnType::Decimal(places) => places.dtype(),
        }
    }

    /// Whether a frame's column of type `dtype` stores this type. Text may be stored
    /// dictionary-encoded (categorical), as the payment table stores its codes.
    pub fn accepts(self, dtype: &DataType) -> bool {
        match (self, dtype) {
            (ColumnType::Text, DataType::Categorical(..) | DataType::Enum(..)) => true,
            _ => *dtype == self.dtype(),
        }
    }

    /// The type as DuckDB (and so BI tools) reads the Parquet column.
    pub fn sql(self) -> String {
        match self {
            ColumnType::Text => "VARCHAR".to_string(),
            ColumnType::Date => "DATE".to_string(),
            ColumnType::Int32 => "INTEGER".to_string(),
            ColumnType::Int64 => "BIGINT".to_string(),
            ColumnType::Bool => "BOOLEAN".to_string(),
            ColumnType::Float64 => "DOUBLE".to_string(),
            ColumnType::Decimal(places) => {
                format!("DECIMAL({},{})", places.precision(), places.scale())
            }
        }
    }

    /// The type as the data dictionary writes it.
    pub fn doc(self) -> String {
        match self {
            ColumnType::Text => "text".to_string(),
            ColumnType::Date => "date".to_string(),
            ColumnType::Int32 => "integer".to_string(),
            ColumnType::Int64 => "bigint".to_string(),
            ColumnType::Bool => "bool".to_string(),
            ColumnType::Float64 => "double".to_string(),
            ColumnType::Decimal(places) => {
                format!("decimal({},{})", places.precision(), places.scale())
            }
        }
    }
}

/// Whether every file of the table has the column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Always,
    /// Only in files written with an option (the option named).
    Optional(&'static str),
}

/// One column of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnDef {
    pub name: &'static str,
    pub ty: ColumnType,
    pub meaning: &'static str,
    pub presence: Presence,
}

impl ColumnDef {
    pub const fn new(name: &'static str, ty: ColumnType, meaning: &'static str) -> ColumnDef {
        ColumnDef {
            name,
            ty,
            meaning,
            presence: Presence::Always,
        }
    }

    pub const fn text(name: &'static str, meaning: &'static str) -> ColumnDef {
        Self::new(name, ColumnType::Text, meaning)
    }

    pub const fn date(name: &'static str, meaning: &'static str) -> ColumnDef {
        Self::new(name, ColumnType::Date, meaning)
    }

    pub const fn flag(name: &'static str, meaning: &'static str) -> ColumnDef {
        Self::new(name, ColumnType::Bool, meaning)
    }

    pub const fn int32(name: &'static str, meaning: &'static str) -> ColumnDef {
        Self::new(name, ColumnType::Int32, meaning)
    }

    pub const fn int64(name: &'static str, meaning: &'static str) -> ColumnDef {
        Self::new(name, ColumnType::Int64, meaning)
    }

    pub const fn float(name: &'static str, meaning: &'static str) -> ColumnDef {
        Self::new(name, ColumnType::Float64, meaning)
    }

    pub const fn decimal(name: &'static str, places: Places, meaning: &'static str) -> ColumnDef {
        Self::new(name, ColumnType::Decimal(places), meaning)
    }

    /// Present only in files written with `option`.
    pub const fn optional(self, option: &'static str) -> ColumnDef {
        ColumnDef {
            presence: Presence::Optional(option),
            ..self
        }
    }

    /// The places of a decimal column.
    pub fn places(&self) -> Option<Places> {
        match self.ty {
            ColumnType::Decimal(places) => Some(places),
            _ => None,
        }
    }

    // Reading: every value that comes back out of a warehouse frame comes through these.

    /// The column of a frame.
    pub fn of<'f>(&self, frame: &'f DataFrame) -> PolarsResult<&'f Column> {
        frame.column(self.name)
    }

    /// A text column (read as written; dictionary-encoded text is cast by the reader, see
    /// `load::warehouse::as_plain_text`).
    pub fn str<'f>(&self, frame: &'f DataFrame) -> PolarsResult<&'f StringChunked> {
        self.of(frame)?.str()
    }

    /// A text column's values, a null as `""`.
    pub fn texts(&self, frame: &DataFrame) -> PolarsResult<Vec<String>> {
        let column = self.of(frame)?.cast(&DataType::String)?;
        Ok(column
            .str()?
            .iter()
            .map(|v| v.unwrap_or_default().to_string())
            .collect())
    }

    /// A short text column's values (codes, indicators) inline, a null as `""`: no
    /// allocation per value, which a 19,000-row snapshot read for every diff would pay.
    pub fn short_texts(&self, frame: &DataFrame) -> PolarsResult<Vec<crate::Text>> {
        let column = self.of(frame)?.cast(&DataType::String)?;
        Ok(column
            .str()?
            .iter()
            .map(|v| crate::Text::from(v.unwrap_or_default()))
            .collect())
    }

    /// A text column's values, nulls kept.
    pub fn optional_texts(&self, frame: &DataFrame) -> PolarsResult<Vec<Option<String>>> {
        let column = self.of(frame)?.cast(&DataType::String)?;
        Ok(column
            .str()?
            .iter()
            .map(|v| v.map(str::to_string))
            .collect())
    }

    pub fn bools<'f>(&self, frame: &'f DataFrame) -> PolarsResult<&'f BooleanChunked> {
        self.of(frame)?.bool()
    }

    /// An integer column's values, whatever its width.
    pub fn integers(&self, frame: &DataFrame) -> PolarsResult<Vec<Option<i64>>> {
        let column = self.of(frame)?.cast(&DataType::Int64)?;
        Ok(column.i64()?.iter().collect())
    }

    /// A date column's values.
    pub fn dates(&self, frame: &DataFrame) -> PolarsResult<Vec<Option<NaiveDate>>> {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid epoch");
        let column = self.of(frame)?.cast(&DataType::Int32)?;
        Ok(column
            .i32()?
            .iter()
            .map(|days| days.map(|d| epoch + chrono::Duration::days(i64::from(d))))
            .collect())
    }

    /// A decimal column (scale at most 4) as [`Decimal`]s: the one way CMS's numbers come
    /// back out of the warehouse.
    pub fn decimals(&self, frame: &DataFrame) -> PolarsResult<Vec<Option<Decimal>>> {
        let name = self.name;
        let column = self.of(frame)?.decimal()?;
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

    /// A money column's values as cents.
    pub fn cents(&self, frame: &DataFrame) -> PolarsResult<Vec<Option<i64>>> {
        let name = self.name;
        let column = self.of(frame)?.decimal()?;
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

    /// A decimal column of any scale as the nearest doubles (national anesthesia CFs, which
    /// carry up to six places).
    pub fn decimal_f64s(&self, frame: &DataFrame) -> PolarsResult<Vec<Option<f64>>> {
        let column = self.of(frame)?.decimal()?;
        let divisor = 10_f64.powi(column.scale() as i32);
        Ok(column
            .physical()
            .iter()
            .map(|v| v.map(|v| v as f64 / divisor))
            .collect())
    }
}

/// The rows of `frame` whose text columns equal the given values (dictionary-encoded text
/// compared as text).
pub fn rows_where(frame: &DataFrame, equal: &[(ColumnDef, &str)]) -> PolarsResult<DataFrame> {
    let mut mask = BooleanChunked::full("mask".into(), true, frame.height());
    for (column, value) in equal {
        let text = column.of(frame)?.cast(&DataType::String)?;
        let matches = text.str()?.equal(*value);
        mask = &mask & &matches;
    }
    frame.filter(&mask)
}
