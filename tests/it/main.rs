//! The one integration-test binary (polars makes every extra test binary expensive to link).
//! Each module covers one concern; `support` holds what they share.

mod bad_input;
mod fixtures;
mod real_sample;
mod support;
