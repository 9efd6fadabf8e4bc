//! The fee arithmetic every part of mpfs shares: money in cents, CMS's fee formula, which
//! services are payable, the OPPS cap, the non-participating amount and limiting charge, and
//! how an amount is printed. Each rule is written here once; the payment table, diffs,
//! history, the pricer and the report call these functions and never restate them.
//!
//! Sources: docs/cms-files.md, "Payment arithmetic" (CMS's definitions, checked against its
//! National Payment Amount Files to the cent); RVU25D.pdf, Attachment A (status codes);
//! Social Security Act §1848(a)(3) and §1848(g) (non-participating amount and limiting
//! charge).
//!
//! ```text
//! fee = [(work RVU x work GPCI) + (PE RVU x PE GPCI) + (MP RVU x MP GPCI)] x CF
//! ```
//!
//! with the facility or non-facility PE RVU, rounded to cents at the end, half up. The
//! arithmetic is exact: RVUs, GPCIs and the CF are integers of ten-thousandths, so the
//! product is an exact integer of 10^-12 dollars before the one rounding. This reproduces
//! CMS's published amounts (76145 in 2025: Alabama 825.49, MAC 01112 locality 05 1339.81).

use crate::decimal::Decimal;

/// Amounts in cents.
pub type Cents = i64;

/// The national row's MAC and locality in the payment table (all GPCIs 1.0).
pub const NATIONAL_MAC: &str = "00000";
pub const NATIONAL_LOCALITY: &str = "00";

/// The status codes paid under the fee schedule (RVU25D.pdf, Attachment A): A active, R
/// restricted coverage, T paid only without another payable service that day.
pub const PAYABLE_STATUSES: [&str; 3] = ["A", "R", "T"];

/// Whether a service is paid under the fee schedule: a payable status and no `+` in NOT USED
/// FOR MEDICARE PAYMENT.
pub fn is_payable(status_code: &str, not_used_for_payment: bool) -> bool {
    PAYABLE_STATUSES.contains(&status_code) && !not_used_for_payment
}

/// An amount in cents as text with two places (`-0.50`, `1339.81`): the one way amounts are
/// printed (run tables, CSV, reports).
pub fn cents_text(cents: Cents) -> String {
    Decimal::from_raw(cents * 100).format_places(2)
}

/// The three GPCIs of a locality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gpcis {
    pub work: Decimal,
    pub pe: Decimal,
    pub mp: Decimal,
}

impl Gpcis {
    pub const NATIONAL: Gpcis = Gpcis {
        work: Decimal::ONE,
        pe: Decimal::ONE,
        mp: Decimal::ONE,
    };
}

/// Rounds an exact amount in 10^-`scale_digits` dollars to cents, half away from zero.
fn round_to_cents(amount: i128, scale_digits: u32) -> Cents {
    let divisor = 10_i128.pow(scale_digits - 2);
    let half = divisor / 2;
    let rounded = if amount >= 0 {
        (amount + half) / divisor
    } else {
        (amount - half) / divisor
    };
    rounded as Cents
}

/// [`round_to_cents`] of an amount in 10^-12 dollars that fits 64 bits: a division by a
/// constant, which the compiler turns into a multiplication (128-bit division is a library
/// call, and it was the largest cost of pricing 1.1 million rows).
fn round_picodollars_to_cents(amount: i64) -> Cents {
    const DIVISOR: i64 = 10_000_000_000;
    const HALF: i64 = DIVISOR / 2;
    if amount >= 0 {
        (amount + HALF) / DIVISOR
    } else {
        (amount - HALF) / DIVISOR
    }
}

/// CMS's fee for one setting: `pe` is the facility or non-facility PE RVU.
///
/// RVUs, GPCIs and the CF are integers of 10^-4, so the sum of products times the CF is an
/// exact integer of 10^-12 dollars. Real values fit 64 bits by four orders of magnitude
/// (an RVU of 100 at GPCI 2 and CF 40 is 8 x 10^16); anything larger is computed in 128.
pub fn fee_cents(work: Decimal, pe: Decimal, mp: Decimal, gpci: Gpcis, cf: Decimal) -> Cents {
    let narrow = work
        .raw()
        .checked_mul(gpci.work.raw())
        .and_then(|w| Some((w, pe.raw().checked_mul(gpci.pe.raw())?)))
        .and_then(|(w, p)| Some((w, p, mp.raw().checked_mul(gpci.mp.raw())?)))
        .and_then(|(w, p, m)| w.checked_add(p)?.checked_add(m))
        .and_then(|adjusted| adjusted.checked_mul(cf.raw()))
        .filter(|amount| amount.checked_abs().is_some_and(|a| a < i64::MAX / 2));
    if let Some(amount) = narrow {
        return round_picodollars_to_cents(amount);
    }
    let adjusted = i128::from(work.raw()) * i128::from(gpci.work.raw())
        + i128::from(pe.raw()) * i128::from(gpci.pe.raw())
        + i128::from(mp.raw()) * i128::from(gpci.mp.raw());
    // adjusted is in 10^-8 RVU-dollars per CF unit; times the CF (10^-4) gives 10^-12 dollars.
    round_to_cents(adjusted * i128::from(cf.raw()), 12)
}

/// The limiting charge: 115% of the 95% non-participating amount, i.e. 109.25% of a fee,
/// rounded half up.
pub fn limiting_charge_cents(fee: Cents) -> Cents {
    match fee.checked_mul(10_925) {
        Some(scaled) if scaled >= 0 => (scaled + 5_000) / 10_000,
        Some(scaled) => (scaled - 5_000) / 10_000,
        None => round_to_cents(i128::from(fee) * 10_925, 4 + 2),
    }
}

/// The non-participating amount and the limiting charge as percentages of the fee schedule
/// amount in hundredths of a percent (10^-4 of the amount): 95% and 115% of that.
pub const NON_PARTICIPATING_BASIS4: i128 = 9_500;
pub const LIMITING_OF_NON_PARTICIPATING_BASIS4: i128 = 11_500;

/// A setting's fee after the OPPS cap: the lesser of the PFS amount and the cap (when the
/// service has one at the locality), and whether the cap was the lesser.
pub fn opps_capped(fee: Cents, cap: Option<Cents>) -> (Cents, bool) {
    match cap {
        Some(cap) if cap < fee => (cap, true),
        _ => (fee, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn reproduces_cms_published_amounts_for_76145_in_2025() {
        let cf = d("32.3465");
        let alabama = Gpcis {
            work: d("1"),
            pe: d("0.869"),
            mp: d("0.575"),
        };
        assert_eq!(
            fee_cents(d("0"), d("29.03"), d("0.51"), alabama, cf),
            82_549
        );
        let san_francisco = Gpcis {
            work: d("1.088"),
            pe: d("1.419"),
            mp: d("0.445"),
        };
        assert_eq!(
            fee_cents(d("0"), d("29.03"), d("0.51"), san_francisco, cf),
            133_981
        );
    }

    #[test]
    fn national_99213_and_half_up_rounding() {
        // 2.75 x 32.3465 = 88.952875 -> 88.95; 1.97 x 32.3465 = 63.722605 -> 63.72
        let cf = d("32.3465");
        assert_eq!(
            fee_cents(d("1.30"), d("1.35"), d("0.10"), Gpcis::NATIONAL, cf),
            8_895
        );
        assert_eq!(
            fee_cents(d("1.30"), d("0.57"), d("0.10"), Gpcis::NATIONAL, cf),
            6_372
        );
        // Exactly half a cent rounds up: 0.5 x 0.01 = 0.005.
        assert_eq!(
            fee_cents(d("0.50"), d("0"), d("0"), Gpcis::NATIONAL, d("0.01")),
            1
        );
        assert_eq!(round_to_cents(-5, 3), -1);
    }

    #[test]
    fn amounts_beyond_64_bits_are_computed_in_128() {
        // 9,999,999.99 RVUs x GPCI 2 x CF 99.9999 = 1,999,997,998.000002 dollars: the exact
        // product in 10^-12 dollars is about 2 x 10^21, beyond i64.
        let huge = d("9999999.99");
        let gpci = Gpcis {
            work: d("2"),
            pe: d("0"),
            mp: d("0"),
        };
        assert_eq!(
            fee_cents(huge, d("0"), d("0"), gpci, d("99.9999")),
            199_999_799_800
        );
        // The narrow and wide paths agree where both apply, half-cents included.
        for (work, cf) in [("0.50", "0.01"), ("12.34", "32.3465"), ("-0.50", "0.01")] {
            let (work, cf) = (d(work), d(cf));
            let wide = round_to_cents(i128::from(work.raw()) * 10_000 * i128::from(cf.raw()), 12);
            assert_eq!(fee_cents(work, d("0"), d("0"), Gpcis::NATIONAL, cf), wide);
        }
        assert_eq!(
            limiting_charge_cents(i64::MAX / 100),
            100_765_339_502_638_426
        );
        assert_eq!(limiting_charge_cents(-10_000), -10_925);
    }

    #[test]
    fn limiting_charge_is_109_25_percent() {
        assert_eq!(limiting_charge_cents(10_000), 10_925);
        assert_eq!(limiting_charge_cents(82_549), 90_185); // 901.847825 -> 901.85
    }

    #[test]
    fn payable_statuses_and_the_cap() {
        assert!(is_payable("A", false));
        assert!(is_payable("T", false));
        assert!(!is_payable("A", true), "a + row is never paid");
        assert!(!is_payable("X", false));
        assert!(!is_payable("", false));
        assert_eq!(opps_capped(10_000, Some(9_000)), (9_000, true));
        assert_eq!(opps_capped(10_000, Some(10_000)), (10_000, false));
        assert_eq!(opps_capped(10_000, None), (10_000, false));
        assert_eq!(cents_text(-50), "-0.50");
        assert_eq!(cents_text(133_981), "1339.81");
    }
}
