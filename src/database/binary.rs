//! PostgreSQL's binary `COPY` format decoded straight into columns: no text formatting on the
//! server, no text parsing here. Whole numbers (`smallint`, `integer`, `bigint`) become
//! 64-bit integers, `real`, `double precision` and `numeric` numbers (a `numeric` through its
//! decimal digits, so it reads as its text would: `2.550` is 2.55), `date` dates,
//! `timestamp` and `timestamptz` (in UTC) times to the millisecond, `boolean` true or false,
//! text as written; other types are asked for as text (`::text`).

use std::io::{BufRead, Read};

use polars::prelude::*;
use postgres::types::Type;

use crate::error::{Error, Result};

/// Rows per batch handed on: memory holds one batch, whatever the number of rows.
pub const BATCH_ROWS: usize = 1 << 16;

/// Days from 1970-01-01 to PostgreSQL's epoch, 2000-01-01.
const EPOCH_DAYS: i32 = 10_957;
/// The same in milliseconds.
const EPOCH_MS: i64 = EPOCH_DAYS as i64 * 86_400_000;

const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// How a column's values are decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    Numeric,
    Bool,
    Date,
    Timestamp,
    Text,
}

impl Kind {
    /// The decoding of a server type; `None`: the column is asked for as text.
    pub fn of(ty: &Type) -> Option<Kind> {
        Some(match *ty {
            Type::INT2 => Kind::Int2,
            Type::INT4 => Kind::Int4,
            Type::INT8 => Kind::Int8,
            Type::FLOAT4 => Kind::Float4,
            Type::FLOAT8 => Kind::Float8,
            Type::NUMERIC => Kind::Numeric,
            Type::BOOL => Kind::Bool,
            Type::DATE => Kind::Date,
            Type::TIMESTAMP | Type::TIMESTAMPTZ => Kind::Timestamp,
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => Kind::Text,
            _ => return None,
        })
    }

    /// The column type the values become.
    pub fn dtype(self) -> DataType {
        match self {
            Kind::Int2 | Kind::Int4 | Kind::Int8 => DataType::Int64,
            Kind::Float4 | Kind::Float8 | Kind::Numeric => DataType::Float64,
            Kind::Bool => DataType::Boolean,
            Kind::Date => DataType::Date,
            Kind::Timestamp => DataType::Datetime(TimeUnit::Milliseconds, None),
            Kind::Text => DataType::String,
        }
    }
}

/// One column's values of the current batch.
enum Values {
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    Date(Vec<Option<i32>>),
    Time(Vec<Option<i64>>),
    Text(StringChunkedBuilder),
}

impl Values {
    fn new(kind: Kind, name: &str) -> Values {
        match kind {
            Kind::Int2 | Kind::Int4 | Kind::Int8 => Values::Int(Vec::with_capacity(BATCH_ROWS)),
            Kind::Float4 | Kind::Float8 | Kind::Numeric => {
                Values::Float(Vec::with_capacity(BATCH_ROWS))
            }
            Kind::Bool => Values::Bool(Vec::with_capacity(BATCH_ROWS)),
            Kind::Date => Values::Date(Vec::with_capacity(BATCH_ROWS)),
            Kind::Timestamp => Values::Time(Vec::with_capacity(BATCH_ROWS)),
            Kind::Text => Values::Text(StringChunkedBuilder::new(name.into(), BATCH_ROWS)),
        }
    }

    /// Appends one value: `None` for `NULL`, else its bytes.
    fn push(&mut self, kind: Kind, bytes: Option<&[u8]>) -> std::result::Result<(), String> {
        let Some(b) = bytes else {
            match self {
                Values::Int(v) => v.push(None),
                Values::Float(v) => v.push(None),
                Values::Bool(v) => v.push(None),
                Values::Date(v) => v.push(None),
                Values::Time(v) => v.push(None),
                Values::Text(v) => v.append_null(),
            }
            return Ok(());
        };
        match self {
            Values::Int(v) => v.push(Some(match kind {
                Kind::Int2 => i16::from_be_bytes(fixed(b)?) as i64,
                Kind::Int4 => i32::from_be_bytes(fixed(b)?) as i64,
                _ => i64::from_be_bytes(fixed(b)?),
            })),
            Values::Float(v) => v.push(Some(match kind {
                Kind::Float4 => f32::from_be_bytes(fixed(b)?) as f64,
                Kind::Float8 => f64::from_be_bytes(fixed(b)?),
                _ => numeric(b)?,
            })),
            Values::Bool(v) => v.push(Some(fixed::<1>(b)?[0] != 0)),
            Values::Date(v) => v.push(Some(
                i32::from_be_bytes(fixed(b)?).saturating_add(EPOCH_DAYS),
            )),
            Values::Time(v) => {
                let us = i64::from_be_bytes(fixed(b)?);
                v.push(Some(us.div_euclid(1000).saturating_add(EPOCH_MS)))
            }
            Values::Text(v) => {
                let s = std::str::from_utf8(b).map_err(|_| "text that is not UTF-8".to_string())?;
                v.append_value(s);
            }
        }
        Ok(())
    }

    /// The batch's column, and an empty one in its place.
    fn take(&mut self, kind: Kind, name: &str) -> Column {
        let fresh = Values::new(kind, name);
        let name: PlSmallStr = name.into();
        match std::mem::replace(self, fresh) {
            Values::Int(v) => Column::new(name, v),
            Values::Float(v) => Column::new(name, v),
            Values::Bool(v) => Column::new(name, v),
            Values::Date(v) => Int32Chunked::new(name, v).into_date().into_column(),
            Values::Time(v) => Int64Chunked::new(name, v)
                .into_datetime(TimeUnit::Milliseconds, None)
                .into_column(),
            Values::Text(b) => b.finish().into_column(),
        }
    }
}

fn fixed<const N: usize>(b: &[u8]) -> std::result::Result<[u8; N], String> {
    b.try_into()
        .map_err(|_| format!("a value of {} bytes where {N} were expected", b.len()))
}

/// A binary `numeric` as the number its decimal text reads as.
fn numeric(b: &[u8]) -> std::result::Result<f64, String> {
    let word = |i: usize| -> std::result::Result<i16, String> {
        b.get(2 * i..2 * i + 2)
            .map(|w| i16::from_be_bytes([w[0], w[1]]))
            .ok_or_else(|| "a numeric value cut short".to_string())
    };
    let (ndigits, weight, sign) = (word(0)? as usize, word(1)? as i64, word(2)? as u16);
    match sign {
        0xC000 => return Ok(f64::NAN),
        0xD000 => return Ok(f64::INFINITY),
        0xF000 => return Ok(f64::NEG_INFINITY),
        _ => {}
    }
    let digit = |i: i64| -> std::result::Result<i16, String> {
        if i < 0 || i as usize >= ndigits {
            Ok(0)
        } else {
            word(4 + i as usize)
        }
    };
    // Base-10000 groups: weight + 1 before the point, the rest after it.
    let mut text = String::with_capacity(8 + 4 * ndigits);
    if sign == 0x4000 {
        text.push('-');
    }
    if weight < 0 {
        text.push('0');
    } else {
        text.push_str(&digit(0)?.to_string());
        for i in 1..=weight {
            text.push_str(&format!("{:04}", digit(i)?));
        }
    }
    let last = ndigits as i64 - 1;
    if last > weight {
        text.push('.');
        for i in weight + 1..=last {
            text.push_str(&format!("{:04}", digit(i)?));
        }
    }
    text.parse()
        .map_err(|_| format!("a numeric value that does not read as a number ({text})"))
}

/// Decodes a binary `COPY` stream of columns `names`/`kinds`, handing `emit` one frame per
/// [`BATCH_ROWS`] rows (and the last, shorter one). Returns the rows read.
pub fn decode(
    reader: impl Read,
    names: &[String],
    kinds: &[Kind],
    emit: &mut dyn FnMut(DataFrame) -> Result<()>,
) -> Result<usize> {
    let mut r = std::io::BufReader::with_capacity(1 << 20, reader);
    let fault = |what: String| {
        Error::Data(format!(
            "the rows PostgreSQL sent could not be read: {what}"
        ))
    };
    let io = |e: std::io::Error| fault(e.to_string());
    let mut head = [0u8; 19];
    r.read_exact(&mut head).map_err(io)?;
    if &head[..11] != SIGNATURE {
        return Err(fault("not the binary COPY format".into()));
    }
    let extension = u32::from_be_bytes([head[15], head[16], head[17], head[18]]) as usize;
    r.consume(0);
    std::io::copy(&mut (&mut r).take(extension as u64), &mut std::io::sink()).map_err(io)?;
    let mut values: Vec<Values> = kinds
        .iter()
        .zip(names)
        .map(|(k, n)| Values::new(*k, n))
        .collect();
    let (mut rows, mut in_batch) = (0usize, 0usize);
    let mut buf = Vec::new();
    let mut word = [0u8; 4];
    let mut flush = |values: &mut Vec<Values>, n: usize| -> Result<()> {
        let columns: Vec<Column> = values
            .iter_mut()
            .zip(kinds.iter().zip(names))
            .map(|(v, (k, name))| v.take(*k, name))
            .collect();
        emit(DataFrame::new(n, columns)?)
    };
    loop {
        r.read_exact(&mut word[..2]).map_err(io)?;
        let fields = i16::from_be_bytes([word[0], word[1]]);
        if fields == -1 {
            break;
        }
        if fields as usize != kinds.len() {
            return Err(fault(format!(
                "a row of {fields} fields for {} columns",
                kinds.len()
            )));
        }
        for (v, k) in values.iter_mut().zip(kinds) {
            r.read_exact(&mut word).map_err(io)?;
            let len = i32::from_be_bytes(word);
            if len < 0 {
                v.push(*k, None).map_err(fault)?;
                continue;
            }
            buf.resize(len as usize, 0);
            r.read_exact(&mut buf).map_err(io)?;
            v.push(*k, Some(&buf)).map_err(fault)?;
        }
        rows += 1;
        in_batch += 1;
        if in_batch == BATCH_ROWS {
            flush(&mut values, in_batch)?;
            in_batch = 0;
        }
    }
    if in_batch > 0 || rows == 0 {
        flush(&mut values, in_batch)?;
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::{decode, numeric, Kind, SIGNATURE};

    /// A binary COPY stream of rows of fields (`None`: NULL).
    fn stream(rows: &[Vec<Option<Vec<u8>>>]) -> Vec<u8> {
        let mut s = SIGNATURE.to_vec();
        s.extend_from_slice(&0i32.to_be_bytes());
        s.extend_from_slice(&4i32.to_be_bytes());
        s.extend_from_slice(b"skip");
        for row in rows {
            s.extend_from_slice(&(row.len() as i16).to_be_bytes());
            for f in row {
                match f {
                    Some(b) => {
                        s.extend_from_slice(&(b.len() as i32).to_be_bytes());
                        s.extend_from_slice(b);
                    }
                    None => s.extend_from_slice(&(-1i32).to_be_bytes()),
                }
            }
        }
        s.extend_from_slice(&(-1i16).to_be_bytes());
        s
    }

    #[test]
    fn rows_become_typed_columns_with_nulls() {
        let row = |id: &str, n: i32, day: i32, us: i64| {
            vec![
                Some(id.as_bytes().to_vec()),
                Some(n.to_be_bytes().to_vec()),
                Some(day.to_be_bytes().to_vec()),
                Some(us.to_be_bytes().to_vec()),
                None,
            ]
        };
        // 2011-12-09 is day 4360 after 2000-01-01; 12:50:01.5 in microseconds.
        let data = stream(&[row("007", -3, 4360, 46_201_500_000), row("12", 4, -1, -1)]);
        let names: Vec<String> = ["id", "n", "d", "t", "x"].map(String::from).to_vec();
        let kinds = [
            Kind::Text,
            Kind::Int4,
            Kind::Date,
            Kind::Timestamp,
            Kind::Float8,
        ];
        let mut frames = Vec::new();
        let rows = decode(&data[..], &names, &kinds, &mut |df| {
            frames.push(df);
            Ok(())
        })
        .unwrap();
        assert_eq!((rows, frames.len()), (2, 1));
        let text = |c: &str| -> Vec<String> {
            let col = frames[0]
                .column(c)
                .unwrap()
                .cast(&polars::prelude::DataType::String)
                .unwrap();
            col.str()
                .unwrap()
                .iter()
                .map(|v| v.unwrap_or("null").to_string())
                .collect()
        };
        assert_eq!(text("id"), ["007", "12"]);
        assert_eq!(text("n"), ["-3", "4"]);
        assert_eq!(text("d"), ["2011-12-09", "1999-12-31"]);
        assert_eq!(
            text("t"),
            ["2000-01-01 12:50:01.500", "1999-12-31 23:59:59.999"]
        );
        assert_eq!(text("x"), ["null", "null"]);
        let short = &data[..data.len() - 6];
        let err = decode(short, &names, &kinds, &mut |_| Ok(())).unwrap_err();
        assert!(
            err.to_string()
                .contains("the rows PostgreSQL sent could not be read"),
            "{err}"
        );
    }

    /// A binary numeric from its groups.
    fn bin(weight: i16, sign: u16, dscale: u16, digits: &[i16]) -> Vec<u8> {
        let mut b = Vec::new();
        for w in [digits.len() as i16, weight, sign as i16, dscale as i16] {
            b.extend_from_slice(&w.to_be_bytes());
        }
        for d in digits {
            b.extend_from_slice(&d.to_be_bytes());
        }
        b
    }

    #[test]
    fn numerics_read_as_their_text() {
        assert_eq!(numeric(&bin(0, 0, 3, &[2, 5500])).unwrap(), 2.55);
        assert_eq!(
            numeric(&bin(1, 0x4000, 2, &[1, 2345, 6700])).unwrap(),
            -12345.67
        );
        assert_eq!(numeric(&bin(-1, 0, 4, &[1200])).unwrap(), 0.12);
        assert_eq!(numeric(&bin(-2, 0, 6, &[500])).unwrap(), 0.000005);
        assert_eq!(numeric(&bin(2, 0, 0, &[7])).unwrap(), 700_000_000.0);
        assert_eq!(numeric(&bin(0, 0, 0, &[])).unwrap(), 0.0);
        assert!(numeric(&bin(0, 0xC000, 0, &[])).unwrap().is_nan());
        assert_eq!(numeric(&bin(0, 0, 1, &[1])).unwrap(), 1.0);
    }
}
