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

/// A fee before CMS's one rounding: an exact integer of 10^-12 dollars (RVUs, GPCIs and the
/// CF are integers of 10^-4, so their sum of products times the CF is exact). The fee
/// schedule amount is it rounded to cents; CMS takes the non-participating amount and the
/// limiting charge from it too, not from the rounded amount (see [`Self::limiting_charge`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExactFee(i128);

/// 10^-12 dollars per cent.
const PICO_PER_CENT: i128 = 10_000_000_000;

impl ExactFee {
    /// An amount CMS publishes in cents (an OPPS cap), as exact.
    pub const fn from_cents(cents: Cents) -> ExactFee {
        ExactFee(cents as i128 * PICO_PER_CENT)
    }

    /// The amount in 10^-12 dollars.
    pub const fn picodollars(self) -> i128 {
        self.0
    }

    /// The fee schedule amount: rounded to cents, half up.
    pub fn cents(self) -> Cents {
        match i64::try_from(self.0) {
            Ok(narrow) => round_picodollars_to_cents(narrow),
            Err(_) => round_to_cents(self.0, 12),
        }
    }

    /// The limiting charge: 115% of the 95% non-participating amount, 109.25% of the
    /// unrounded fee, rounded once, half up. CMS's Look-up Tool prints exactly this
    /// (95970 national 2024B: 0.56 RVU x 33.2875 = 18.641 -> fee 18.64, limiting charge
    /// round(18.641 x 1.0925) = 20.37, where 109.25% of the rounded 18.64 would be 20.36).
    pub fn limiting_charge(self) -> Cents {
        percent_of(self.0, 10_925)
    }

    /// The non-participating amount: 95% of the unrounded fee, rounded once, half up (the
    /// same rule as the limiting charge; CMS's files here print no non-participating amount
    /// to prove it, see docs/cms-files.md).
    pub fn non_participating(self) -> Cents {
        percent_of(self.0, 9_500)
    }

    /// The lesser of this fee and an OPPS cap in cents, and whether the cap was the lesser:
    /// a capped service's amounts (and its limiting charge) come from the cap, which CMS
    /// publishes in cents.
    pub fn capped(self, cap: Option<Cents>) -> (ExactFee, bool) {
        match cap.map(ExactFee::from_cents) {
            Some(cap) if cap.cents() < self.cents() => (cap, true),
            _ => (self, false),
        }
    }
}

/// `basis4` ten-thousandths of an amount of 10^-12 dollars, in cents, rounded half up
/// (away from zero). For the payment table's 2.2 million amounts per release the usual
/// case stays in 64-bit arithmetic, divisions by constants the compiler turns into
/// multiplications (128-bit division is a library call): with a = h x 10^10 + l (h cents,
/// l < 10^10) and h x basis4 = t1 x 10^4 + t0, the amount is t1 + (t0 x 10^10 + l x basis4)
/// / 10^14 cents, the second term below 3 x 10^14.
fn percent_of(picodollars: i128, basis4: i64) -> Cents {
    if let Ok(a) = i64::try_from(picodollars)
        && a >= 0
    {
        let (h, l) = (a / 10_000_000_000, a % 10_000_000_000);
        let t = h * basis4;
        let (t1, t0) = (t / 10_000, t % 10_000);
        let fraction = t0 * 10_000_000_000 + l * basis4;
        return t1 + (fraction + 50_000_000_000_000) / 100_000_000_000_000;
    }
    round_to_cents(picodollars * i128::from(basis4), 16)
}

/// CMS's fee for one setting before its rounding: `pe` is the facility or non-facility PE
/// RVU. Real values fit 64 bits by four orders of magnitude (an RVU of 100 at GPCI 2 and CF
/// 40 is 8 x 10^16); anything larger is computed in 128.
pub fn fee_exact(work: Decimal, pe: Decimal, mp: Decimal, gpci: Gpcis, cf: Decimal) -> ExactFee {
    let narrow = work
        .raw()
        .checked_mul(gpci.work.raw())
        .and_then(|w| Some((w, pe.raw().checked_mul(gpci.pe.raw())?)))
        .and_then(|(w, p)| Some((w, p, mp.raw().checked_mul(gpci.mp.raw())?)))
        .and_then(|(w, p, m)| w.checked_add(p)?.checked_add(m))
        .and_then(|adjusted| adjusted.checked_mul(cf.raw()))
        .filter(|amount| amount.checked_abs().is_some_and(|a| a < i64::MAX / 2));
    if let Some(amount) = narrow {
        return ExactFee(i128::from(amount));
    }
    let adjusted = i128::from(work.raw()) * i128::from(gpci.work.raw())
        + i128::from(pe.raw()) * i128::from(gpci.pe.raw())
        + i128::from(mp.raw()) * i128::from(gpci.mp.raw());
    // adjusted is in 10^-8 RVU-dollars per CF unit; times the CF (10^-4) gives 10^-12 dollars.
    ExactFee(adjusted * i128::from(cf.raw()))
}

/// CMS's fee for one setting, rounded to cents at the end, half up.
pub fn fee_cents(work: Decimal, pe: Decimal, mp: Decimal, gpci: Gpcis, cf: Decimal) -> Cents {
    fee_exact(work, pe, mp, gpci, cf).cents()
}

/// 109.25% of an amount already in cents (an OPPS cap), rounded half up.
pub fn limiting_charge_cents(fee: Cents) -> Cents {
    ExactFee::from_cents(fee).limiting_charge()
}

/// The non-participating amount and the limiting charge as percentages of the fee schedule
/// amount in hundredths of a percent (10^-4 of the amount): 95% and 115% of that.
pub const NON_PARTICIPATING_BASIS4: i128 = 9_500;
pub const LIMITING_OF_NON_PARTICIPATING_BASIS4: i128 = 11_500;

/// A Part B drug line's allowed amount: units (the ASP file's billing units) times the
/// payment limit per unit, rounded half up to the cent once (docs/pricing.md, "Drugs").
/// `limit` has CMS's three places (`60.291`); 200 units are exactly $12,058.20.
pub fn drug_allowed_cents(units: u32, limit: Decimal) -> Cents {
    // Decimal holds ten-thousandths: cents = units x raw / 100, half up.
    let tenths_of_cents = i128::from(units) * i128::from(limit.raw());
    ((tenths_of_cents + 50).div_euclid(100)) as Cents
}

/// A percentage of an amount, half up to the cent: the beneficiary's coinsurance at the ASP
/// file's percentage (`17.508` of `$1,000.00` is `$175.08`).
pub fn percent_of_cents(amount: Cents, percent: Decimal) -> Cents {
    // percent.raw() is ten-thousandths of a percent: amount x raw / 1,000,000, half up.
    let scaled = i128::from(amount) * i128::from(percent.raw());
    ((scaled + 500_000).div_euclid(1_000_000)) as Cents
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
    fn limiting_charges_and_non_participating_amounts_round_once_from_the_unrounded_fee() {
        // 95970, national, 2024B: 0.56 x 33.2875 = 18.641 -> 18.64; CMS's limiting charge
        // is round(18.641 x 1.0925) = round(20.3653) = 20.37, not 109.25% of 18.64 (20.36).
        let fee = fee_exact(d("0.56"), d("0"), d("0"), Gpcis::NATIONAL, d("33.2875"));
        assert_eq!(fee.cents(), 1_864);
        assert_eq!(fee.limiting_charge(), 2_037);
        assert_eq!(limiting_charge_cents(fee.cents()), 2_036);
        // 95% of it: round(17.70895) = 17.71.
        assert_eq!(fee.non_participating(), 1_771);
        // A fee of exactly 10.005 dollars: 10.01; 95% of it 9.50475 -> 9.50 (95% of the
        // rounded 10.01 would be 9.51); 109.25% 10.9304625 -> 10.93 (not 10.94).
        let fee = fee_exact(d("1.00"), d("0"), d("0"), Gpcis::NATIONAL, d("10.0050"));
        assert_eq!(fee.cents(), 1_001);
        assert_eq!(fee.non_participating(), 950);
        assert_eq!(fee.limiting_charge(), 1_093);
        assert_eq!(limiting_charge_cents(1_001), 1_094);
        // The 64-bit path agrees with 128-bit arithmetic, half-cents and large amounts too.
        for picodollars in [
            0_i128,
            5_000_000_000,
            18_641_000_000_000,
            123_456_789_012_345,
            999_999_999_999_999_999,
            i128::from(i64::MAX),
        ] {
            for basis4 in [9_500_i64, 10_925, 10_000] {
                let wide = round_to_cents(picodollars * i128::from(basis4), 16);
                assert_eq!(
                    percent_of(picodollars, basis4),
                    wide,
                    "{picodollars} x {basis4}"
                );
            }
        }
        assert_eq!(percent_of(-18_641_000_000_000, 10_925), -2_037);
    }

    #[test]
    fn a_cap_in_cents_is_its_own_exact_amount() {
        let fee = fee_exact(d("10"), d("0"), d("0"), Gpcis::NATIONAL, d("32.3465"));
        let (capped, applied) = fee.capped(Some(30_000));
        assert!(applied);
        assert_eq!((capped.cents(), capped.limiting_charge()), (30_000, 32_775));
        assert_eq!(fee.capped(Some(40_000)), (fee, false));
        assert_eq!(fee.capped(None), (fee, false));
    }

    #[test]
    fn payable_statuses_and_the_cap() {
        assert!(is_payable("A", false));
        assert!(is_payable("T", false));
        assert!(!is_payable("A", true), "a + row is never paid");
        assert!(!is_payable("X", false));
        assert!(!is_payable("", false));
        assert_eq!(cents_text(-50), "-0.50");
        assert_eq!(cents_text(133_981), "1339.81");
    }
}
