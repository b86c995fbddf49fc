//! `input`: the file, its format, renames, the id column, and for invoice lines which column
//! holds what.

use std::path::PathBuf;

use super::raw::RawInput;
use super::source::{pick, Source};
use crate::error::Result;

/// The id column segflow adds (rows numbered from 1) when the input names none.
pub const ROW_ID: &str = "row_id";

#[derive(Debug, Clone, PartialEq)]
pub enum Format {
    Csv { delimiter: Option<u8> },
    Parquet,
}

/// Which input column holds what, for invoice lines.
#[derive(Debug, Clone, PartialEq)]
pub struct TxColumns {
    pub customer: String,
    pub invoice: String,
    pub date: String,
    pub date_format: Option<String>,
    pub quantity: Option<String>,
    pub price: Option<String>,
    pub amount: Option<String>,
    pub product: Option<String>,
    pub category: Option<String>,
    pub country: Option<String>,
}

impl TxColumns {
    /// Every mapped input column.
    pub fn all(&self) -> Vec<&str> {
        let mut v = vec![
            self.customer.as_str(),
            self.invoice.as_str(),
            self.date.as_str(),
        ];
        for c in [
            &self.quantity,
            &self.price,
            &self.amount,
            &self.product,
            &self.category,
            &self.country,
        ]
        .into_iter()
        .flatten()
        {
            v.push(c);
        }
        v
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum InputKind {
    Customers,
    Transactions(Box<TxColumns>),
}

#[derive(Debug, Clone)]
pub struct InputPlan {
    pub path: PathBuf,
    pub kind: InputKind,
    pub format: Format,
    /// The customer id column (after renames). `None`: rows are numbered from 1 as `row_id`.
    pub id: Option<String>,
    /// Original name → new name.
    pub rename: Vec<(String, String)>,
}

impl InputPlan {
    /// The id column after renames: the customer column of invoice lines, else the
    /// configured id, else [`ROW_ID`].
    pub fn id_column(&self) -> &str {
        match &self.kind {
            InputKind::Transactions(tx) => &tx.customer,
            InputKind::Customers => self.id.as_deref().unwrap_or(ROW_ID),
        }
    }
}

/// `csv`, `tsv` or `parquet`, from a file extension (lower case).
pub fn format_for_extension(ext: &str) -> &'static str {
    match ext {
        "parquet" | "pq" => "parquet",
        "tsv" | "tab" => "tsv",
        _ => "csv",
    }
}

/// The reading format of a file from its extension: Parquet, TSV, or CSV with a sniffed
/// delimiter.
pub fn infer_format(path: &std::path::Path) -> Format {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match format_for_extension(&ext) {
        "parquet" => Format::Parquet,
        "tsv" => Format::Csv {
            delimiter: Some(b'\t'),
        },
        _ => Format::Csv { delimiter: None },
    }
}

pub(super) fn from_raw(rin: &RawInput, src: &Source) -> Result<InputPlan> {
    let path = PathBuf::from(&rin.path);
    let ext = rin
        .path
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let format_word = match &rin.format {
        Some(f) => pick(src, &["input", "format"], f, &["csv", "tsv", "parquet"])?,
        None => format_for_extension(&ext),
    };
    let delimiter = match &rin.delimiter {
        Some(d) => {
            let d = match d.as_str() {
                "\\t" | "tab" => "\t",
                other => other,
            };
            if d.len() != 1 {
                return Err(src.error_at(
                    &["input", "delimiter"],
                    format!(
                        "input.delimiter must be a single ASCII character (or `tab`), got `{d}`"
                    ),
                ));
            }
            Some(d.as_bytes()[0])
        }
        None if format_word == "tsv" => Some(b'\t'),
        None => None,
    };
    let format = if format_word == "parquet" {
        Format::Parquet
    } else {
        Format::Csv { delimiter }
    };
    let mut rename: Vec<(String, String)> = rin
        .rename
        .iter()
        .map(|(a, b)| (a.clone(), b.clone()))
        .collect();
    rename.sort();
    let kind = match pick(
        src,
        &["input", "kind"],
        rin.kind.as_deref().unwrap_or("customers"),
        &["customers", "transactions"],
    )? {
        "customers" => {
            if rin.columns.is_some() {
                return Err(src.error_at(
                    &["input", "columns"],
                    "input.columns maps transaction columns: set input.kind: transactions",
                ));
            }
            InputKind::Customers
        }
        _ => {
            let c = rin.columns.clone().ok_or_else(|| {
                src.error_at(&["input", "kind"], "input.kind: transactions needs input.columns (customer, invoice, date, and quantity + price or amount)")
            })?;
            if c.amount.is_none() && (c.quantity.is_none() || c.price.is_none()) {
                return Err(src.error_at(
                    &["input", "columns"],
                    "input.columns needs `amount`, or both `quantity` and `price`",
                ));
            }
            InputKind::Transactions(Box::new(TxColumns {
                customer: c.customer,
                invoice: c.invoice,
                date: c.date,
                date_format: c.date_format,
                quantity: c.quantity,
                price: c.price,
                amount: c.amount,
                product: c.product,
                category: c.category,
                country: c.country,
            }))
        }
    };
    Ok(InputPlan {
        path,
        kind,
        format,
        id: rin.id.clone(),
        rename,
    })
}
