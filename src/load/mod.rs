//! Load: typed rows into the Parquet warehouse.

pub mod releases_table;
pub mod rvu_table;
pub mod warehouse;

/// Version of the warehouse's output schema. Bump it when a table's columns or their
/// meaning change, so that releases built by an older mpfs are rebuilt.
pub const SCHEMA_VERSION: u32 = 1;

pub use warehouse::{Warehouse, WarehouseError};
