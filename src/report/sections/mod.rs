//! The page's sections, in page order: each makes its charts (`charts`), then, once every
//! chart is drawn, its HTML (`html`).

pub mod appendix;
pub mod data;
pub mod exploration;
pub mod predict;
pub mod segments;
pub mod selection;
pub mod summary;
pub mod value;
