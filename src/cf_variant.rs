//! Conversion-factor variants.
//!
//! Until 2025 every release has one conversion factor. From 2026 CMS publishes two: one for
//! qualifying APM participants (`qp`, PPRRVU `_QPP` files) and one for everyone else
//! (`non_qp`, `_nonQPP` files). Rows of both stay side by side, told apart by this value.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum CfVariant {
    /// The single conversion factor of releases before 2026.
    #[value(name = "standard")]
    Standard,
    /// Non-qualifying APM participants (2026+ `_nonQPP` files).
    #[value(name = "non_qp")]
    NonQp,
    /// Qualifying APM participants (2026+ `_QPP` files).
    #[value(name = "qp")]
    Qp,
}

impl CfVariant {
    /// The value stored in the warehouse's `cf_variant` columns.
    pub fn as_str(self) -> &'static str {
        match self {
            CfVariant::Standard => "standard",
            CfVariant::NonQp => "non_qp",
            CfVariant::Qp => "qp",
        }
    }

    /// The variant a warehouse `cf_variant` value names ([`CfVariant::as_str`] read back).
    pub fn from_stored(text: &str) -> Option<CfVariant> {
        [CfVariant::Standard, CfVariant::NonQp, CfVariant::Qp]
            .into_iter()
            .find(|v| v.as_str() == text)
    }
}

impl CfVariant {
    /// The variant a release of `year` prices with when `wanted` is asked for: before 2026
    /// every release has only `standard`, which stands in for either 2026 variant.
    pub fn in_year(wanted: CfVariant, year: u16) -> CfVariant {
        if year < 2026 {
            CfVariant::Standard
        } else {
            wanted
        }
    }
}

impl fmt::Display for CfVariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
