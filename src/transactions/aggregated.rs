//! The per-customer aggregation of cleaned invoice lines, whichever engine made it: the
//! in-memory group-by ([`super::rfm::aggregate`]), the ordered fold ([`super::fold`]) or Spark.

use polars::prelude::DataFrame;

/// The per-customer aggregation of cleaned invoice lines, whichever engine computed it (this
/// module on one machine, or Spark): the RFM table is made from it alone.
pub struct Aggregated {
    /// One row per customer sorted by id: the customer column, [`FIRST`] and [`LAST`] (epoch
    /// milliseconds), `frequency`, `monetary`, [`ITEMS`] and the country column when mapped.
    pub customers: DataFrame,
    /// Spend per customer and category (customer, category, [`AMOUNT`]), when mapped.
    pub by_category: Option<DataFrame>,
}

/// Column names of [`Aggregated`] besides the mapped ones.
pub const FIRST: &str = "__first";
pub const LAST: &str = "__last";
pub const ITEMS: &str = "__items";
pub const AMOUNT: &str = "__amount";
