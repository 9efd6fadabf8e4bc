//! Exact decimal numbers as CMS prints them.
//!
//! RVUs carry 2 decimals, GPCIs 3, conversion factors 4. Holding them as integers of
//! ten-thousandths keeps every value exact, so payment arithmetic can reproduce CMS's cents
//! without binary floating-point drift, and parsing can be strict: anything that is not a
//! plain decimal with at most four fractional digits is an error, never a silent zero.

use std::fmt;
use std::str::FromStr;

/// A decimal number stored as an integer count of ten-thousandths (`1.30` is `13_000`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Decimal(i64);

/// Why a cell is not a number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("empty where a number was expected")]
    Empty,
    #[error("{} is not a decimal number", crate::transform::text::quoted(.0))]
    Malformed(String),
    #[error("{} has more than {max} decimal places", crate::transform::text::quoted(.0), max = Decimal::PLACES)]
    TooPrecise(String),
    #[error("{} is out of range", crate::transform::text::quoted(.0))]
    OutOfRange(String),
}

impl Decimal {
    /// Fractional digits kept.
    pub const PLACES: u32 = 4;
    /// Units per 1.0.
    pub const SCALE: i64 = 10_i64.pow(Self::PLACES);
    pub const ZERO: Decimal = Decimal(0);
    pub const ONE: Decimal = Decimal(Self::SCALE);

    /// The value in ten-thousandths.
    pub const fn raw(self) -> i64 {
        self.0
    }

    pub const fn from_raw(raw: i64) -> Self {
        Decimal(raw)
    }

    /// The nearest `f64`, for display arithmetic only (sorting movers by percent); values
    /// are stored and read as exact decimals. Division of an exact integer by a power of ten
    /// is correctly rounded in IEEE 754, so `1.30` becomes the same double as the literal
    /// `1.3`.
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / Self::SCALE as f64
    }

    /// Prints with exactly `places` decimals (at most four), rounding half away from zero,
    /// as CMS prints RVUs (`1.30`, two places) and conversion factors (`32.3465`, four).
    pub fn format_places(self, places: u32) -> String {
        let places = places.min(Self::PLACES);
        let step = 10_i64.pow(Self::PLACES - places);
        let magnitude = self.0.unsigned_abs() as i64;
        let rounded = (magnitude + step / 2) / step;
        let sign = if self.0 < 0 && rounded != 0 { "-" } else { "" };
        let unit = 10_i64.pow(places);
        if places == 0 {
            format!("{sign}{rounded}")
        } else {
            format!(
                "{sign}{}.{:0width$}",
                rounded / unit,
                rounded % unit,
                width = places as usize
            )
        }
    }

    /// Parses a number whose decimal point is implied: CMS's fixed-width files print
    /// `1931` for 19.31 (`implied_places` = 2).
    pub fn parse_implied(text: &str, implied_places: u32) -> Result<Self, DecimalError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(DecimalError::Empty);
        }
        if !trimmed.bytes().all(|b| b.is_ascii_digit()) || implied_places > Self::PLACES {
            return Err(DecimalError::Malformed(trimmed.to_string()));
        }
        let whole: i64 = trimmed
            .parse()
            .map_err(|_| DecimalError::OutOfRange(trimmed.to_string()))?;
        whole
            .checked_mul(10_i64.pow(Self::PLACES - implied_places))
            .map(Decimal)
            .ok_or_else(|| DecimalError::OutOfRange(trimmed.to_string()))
    }
}

impl FromStr for Decimal {
    type Err = DecimalError;

    /// Accepts `12`, `1.30`, `.10`, `-0.5`, `+2.25` with surrounding blanks (CMS pads
    /// some cells). Rejects exponents, thousands separators, `NaN`, lone signs or points.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(DecimalError::Empty);
        }
        let malformed = || DecimalError::Malformed(trimmed.to_string());
        let (negative, unsigned) = match trimmed.as_bytes()[0] {
            b'-' => (true, &trimmed[1..]),
            b'+' => (false, &trimmed[1..]),
            _ => (false, trimmed),
        };
        let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction)
        {
            return Err(malformed());
        }
        if fraction.len() > Self::PLACES as usize {
            // Trailing zeros beyond our precision lose nothing.
            if fraction[Self::PLACES as usize..].bytes().any(|b| b != b'0') {
                return Err(DecimalError::TooPrecise(trimmed.to_string()));
            }
        }
        let out_of_range = || DecimalError::OutOfRange(trimmed.to_string());
        let whole_value: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| out_of_range())?
        };
        let mut fraction_value: i64 = 0;
        for (i, digit) in fraction.bytes().take(Self::PLACES as usize).enumerate() {
            fraction_value += i64::from(digit - b'0') * 10_i64.pow(Self::PLACES - 1 - i as u32);
        }
        let magnitude = whole_value
            .checked_mul(Self::SCALE)
            .and_then(|w| w.checked_add(fraction_value))
            .ok_or_else(out_of_range)?;
        Ok(Decimal(if negative { -magnitude } else { magnitude }))
    }
}

impl fmt::Display for Decimal {
    /// Prints with all four places (`1.3000`); callers format for display as they need.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        let scale = Self::SCALE as u64;
        write!(f, "{sign}{}.{:04}", magnitude / scale, magnitude % scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Result<i64, DecimalError> {
        text.parse::<Decimal>().map(Decimal::raw)
    }

    #[test]
    fn parses_cms_spellings_exactly() {
        assert_eq!(d("1.30"), Ok(13_000));
        assert_eq!(d(".10"), Ok(1_000));
        assert_eq!(d("0.00"), Ok(0));
        assert_eq!(d("32.3465"), Ok(323_465));
        assert_eq!(d(" 19.31 "), Ok(193_100));
        assert_eq!(d("0.869"), Ok(8_690));
        assert_eq!(d("12"), Ok(120_000));
        assert_eq!(d("-0.5"), Ok(-5_000));
        assert_eq!(d("1.500000"), Ok(15_000));
    }

    #[test]
    fn rejects_anything_that_is_not_a_plain_decimal() {
        assert_eq!(d(""), Err(DecimalError::Empty));
        assert_eq!(d("   "), Err(DecimalError::Empty));
        for bad in [
            "abc", "1.2.3", ".", "-", "1e5", "1,000", "NaN", "inf", "0x10", "1. 5",
        ] {
            assert!(
                matches!(d(bad), Err(DecimalError::Malformed(_))),
                "{bad} should be malformed"
            );
        }
        assert!(matches!(d("0.12345"), Err(DecimalError::TooPrecise(_))));
        assert!(matches!(
            d("99999999999999999999"),
            Err(DecimalError::OutOfRange(_))
        ));
    }

    #[test]
    fn implied_decimals_follow_the_fixed_width_files() {
        assert_eq!(
            Decimal::parse_implied("1931", 2).map(Decimal::raw),
            Ok(193_100)
        );
        assert!(Decimal::parse_implied("19.31", 2).is_err());
        assert!(Decimal::parse_implied("", 2).is_err());
    }

    proptest::proptest! {
        #[test]
        fn printing_then_parsing_gives_the_same_value(raw in -10_000_000_000i64..10_000_000_000) {
            let value = Decimal::from_raw(raw);
            proptest::prop_assert_eq!(value.to_string().parse::<Decimal>(), Ok(value));
            proptest::prop_assert_eq!(value.format_places(4).parse::<Decimal>(), Ok(value));
        }

        #[test]
        fn any_text_parses_or_errors_without_panicking(text in "\\PC{0,24}") {
            let _ = text.parse::<Decimal>();
            let _ = Decimal::parse_implied(&text, 2);
        }

        #[test]
        fn two_place_text_parses_exactly(whole in 0u32..100_000, cents in 0u32..100) {
            let parsed: Decimal = format!("{whole}.{cents:02}").parse().unwrap();
            proptest::prop_assert_eq!(parsed.raw(), i64::from(whole) * 10_000 + i64::from(cents) * 100);
        }
    }

    #[test]
    fn converts_to_the_nearest_double_and_prints_exactly() {
        assert_eq!("1.30".parse::<Decimal>().unwrap().to_f64(), 1.3);
        assert_eq!("32.3465".parse::<Decimal>().unwrap().to_f64(), 32.3465);
        assert_eq!("-0.05".parse::<Decimal>().unwrap().to_string(), "-0.0500");
        assert_eq!(Decimal::ONE.to_string(), "1.0000");
        let cf: Decimal = "32.3465".parse().unwrap();
        assert_eq!(cf.format_places(4), "32.3465");
        assert_eq!(cf.format_places(2), "32.35");
        assert_eq!("1.3".parse::<Decimal>().unwrap().format_places(2), "1.30");
        assert_eq!(
            "-0.004".parse::<Decimal>().unwrap().format_places(2),
            "0.00"
        );
        assert_eq!(
            "-1.005".parse::<Decimal>().unwrap().format_places(2),
            "-1.01"
        );
    }
}
