//! CMS's National Payment Amount File (`PFALLyy` / `PFREVyyX`): CMS's own computed fee
//! schedule amounts, one quoted fixed-position CSV row per (carrier, locality, HCPCS,
//! modifier), trailer lines starting `"TRL`. Used to reconcile the warehouse's payments.
//!
//! Fields: year, carrier, locality, HCPCS, modifier, non-facility fee, facility fee, filler,
//! PC/TC indicator, status, multiple surgery, two therapy-reduction amounts, OPPS indicator
//! (1 capped, 9 not), OPPS non-facility and facility amounts.

use crate::decimal::Decimal;
use crate::transform::error::{ParseError, parse_decimal};
use crate::transform::grid;
use crate::transform::grid::pad_code;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentAmount {
    pub line: u64,
    pub year: String,
    pub mac: String,
    pub locality: String,
    pub hcpcs: String,
    pub modifier: String,
    pub nonfac_fee: Decimal,
    pub fac_fee: Decimal,
    pub status: String,
    /// True when CMS's OPPS indicator is 1 (the OPPS cap applies).
    pub opps_capped: bool,
    pub opps_nonfac: Decimal,
    pub opps_fac: Decimal,
}

impl PaymentAmount {
    /// What Medicare pays in each setting: the fee, or the OPPS amount when the cap applies
    /// and is lower.
    pub fn payable(&self) -> (Decimal, Decimal) {
        if self.opps_capped {
            (
                self.nonfac_fee.min(self.opps_nonfac),
                self.fac_fee.min(self.opps_fac),
            )
        } else {
            (self.nonfac_fee, self.fac_fee)
        }
    }
}

const FIELDS: usize = 16;

pub fn parse(file: &str, bytes: &[u8]) -> Result<Vec<PaymentAmount>, ParseError> {
    let grid = grid::from_csv(file, bytes)?;
    let mut amounts = Vec::with_capacity(grid.rows.len());
    for row in &grid.rows {
        if row.is_blank() || row.cell(0).starts_with("TRL") {
            continue;
        }
        if row.cells.len() < FIELDS {
            return Err(ParseError::BadRow {
                file: file.to_string(),
                line: row.number,
                problem: format!(
                    "{} fields, expected {FIELDS} (a National Payment Amount File row)",
                    row.cells.len()
                ),
            });
        }
        let money = |index: usize, name: &'static str| {
            parse_decimal(file, row.number, index + 1, name, row.cell(index))
        };
        amounts.push(PaymentAmount {
            line: row.number,
            year: row.cell(0).to_string(),
            mac: pad_code(row.cell(1), 5),
            locality: pad_code(row.cell(2), 2),
            hcpcs: row.cell(3).to_string(),
            modifier: row.cell(4).to_string(),
            nonfac_fee: money(5, "non-facility fee")?,
            fac_fee: money(6, "facility fee")?,
            status: row.cell(9).to_string(),
            opps_capped: row.cell(13) == "1",
            opps_nonfac: money(14, "OPPS non-facility amount")?,
            opps_fac: money(15, "OPPS facility amount")?,
        });
    }
    Ok(amounts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cms_example_row_and_skips_the_trailer() {
        let text = concat!(
            "\"2025\",\"01112\",\"05\",\"76145\",\"  \",\"0001339.81\",\"0001339.81\",\" \",\"3\",\"A\",\"0\",\"0000000.00\",\"0000000.00\",\"9\",\"0000000.00\",\"0000000.00\"\r\n",
            "\"2025\",\"01112\",\"05\",\"70496\",\"  \",\"0000400.00\",\"0000150.00\",\" \",\"0\",\"A\",\"0\",\"0000000.00\",\"0000000.00\",\"1\",\"0000343.62\",\"0000160.00\"\r\n",
            "\"TRL\",\"000000002\"\r\n"
        );
        let rows = parse("PFALL25.csv", text.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].modifier, "");
        assert_eq!(rows[0].nonfac_fee.raw(), 13_398_100);
        assert_eq!(rows[0].payable(), (rows[0].nonfac_fee, rows[0].fac_fee));
        let capped = rows[1].payable();
        assert_eq!(
            (capped.0.format_places(2), capped.1.format_places(2)),
            ("343.62".into(), "150.00".into())
        );
        let err = parse("P.csv", b"\"2025\",\"10112\"\r\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "P.csv, line 1: 2 fields, expected 16 (a National Payment Amount File row)"
        );
    }
}
