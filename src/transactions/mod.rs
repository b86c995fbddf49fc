//! Invoice lines to customers: not a stage of its own but the transactions path of three
//! stages: ingest types the lines ([`lines::type_lines`]), clean applies the line rules
//! ([`lines::clean_lines`]) and features aggregates them per customer ([`rfm::features`]).

pub mod aggregated;
mod chunks;
pub mod fold;
mod grouped;
pub mod lines;
pub mod purchases;
pub mod rfm;
