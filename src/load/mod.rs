//! Load: typed rows into the Parquet warehouse.

pub mod conversion_factor;
pub mod frame;
pub mod history;
pub mod parquet_file;
pub mod payment;
pub mod reference_tables;
pub mod releases_table;
pub mod rvu_table;
pub mod warehouse;

/// Version of the warehouse's output schema. Bump it when a table's columns or their
/// meaning change, so that releases built by an older mpfs are rebuilt. 4: `anes_cf` has a
/// row per locality and variant from 2026, national anesthesia CFs as printed. 5: CMS's
/// numbers and money as Parquet `DECIMAL` (RVU 2 places, GPCI 3, CF 4, money 2). 6: one
/// service's amounts (payment fees and limiting charges, OPPS caps, rvu_history's national
/// fees) are `DECIMAL(9,2)`, 32-bit in the file, instead of `DECIMAL(18,2)`. 7: limiting
/// charges are 109.25% of the unrounded fee, rounded once, as CMS computes them (they were
/// 109.25% of the fee already rounded to cents, a cent off in about 28% of rows).
pub const SCHEMA_VERSION: u32 = 7;

use crate::schema::{self, TableDef};

/// Every per-release table, in publishing order.
pub const RELEASE_TABLES: [&TableDef; 7] = [
    &schema::rvu::TABLE,
    &schema::gpci::TABLE,
    &schema::locality_county::TABLE,
    &schema::anes_cf::TABLE,
    &schema::opps_cap::TABLE,
    &schema::payment::TABLE,
    &schema::quarantine::TABLE,
];

pub use warehouse::{Content, Warehouse, WarehouseError, WarehouseWriter};
