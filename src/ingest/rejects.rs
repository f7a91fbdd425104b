//! A table's `_rejects/` file, written as the rejects come: rows of `source_file`, `line`,
//! `column`, `reason` and `raw_record`, in row groups of up to [`ROW_GROUP`] rejects.
//!
//! Rejects used to be kept until every file of the table was read: a fifth of a 20 M-line
//! export rejected held 4 M records in memory, and writing them all was a single-threaded
//! tail after the parse. The writer thread of an ingest now adds each chunk's rejects here
//! while the next chunks parse.

use std::fs::File;
use std::io::BufWriter;

use anyhow::Context;
use polars::prelude::*;

use crate::contract::Table;
use crate::lake::transaction::Transaction;

use super::validate::Reject;

/// Rejects per row group.
const ROW_GROUP: usize = 64 * 1024;

type Writer = polars::io::parquet::write::BatchedWriter<BufWriter<File>>;

/// The rejects of one table, across its files.
#[derive(Default)]
pub struct RejectSink {
    writer: Option<Writer>,
    /// Rejects not written yet, with the index of their file in `files`.
    pending: Vec<(usize, Reject)>,
    files: Vec<String>,
    rows: u64,
}

impl RejectSink {
    /// Rejects so far (written or not).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Add rejects of `file` (kept in memory up to a row group; nothing is written on a dry
    /// run, `tx` = `None`).
    pub fn push(
        &mut self,
        tx: Option<&Transaction>,
        table: Table,
        file: &str,
        rejects: Vec<Reject>,
    ) -> anyhow::Result<()> {
        if rejects.is_empty() {
            return Ok(());
        }
        self.rows += rejects.len() as u64;
        if tx.is_none() {
            return Ok(());
        }
        if self.files.last().is_none_or(|f| f != file) {
            self.files.push(file.to_string());
        }
        let f = self.files.len() - 1;
        self.pending.extend(rejects.into_iter().map(|r| (f, r)));
        if self.pending.len() >= ROW_GROUP {
            self.flush(tx, table)?;
        }
        Ok(())
    }

    /// Write what is pending and close the file (if anything was rejected).
    pub fn finish(mut self, tx: Option<&Transaction>, table: Table) -> anyhow::Result<()> {
        self.flush(tx, table)?;
        if let Some(w) = self.writer.take() {
            Context::with_context(w.finish(), || {
                format!("cannot finish the rejects of {table}")
            })?;
        }
        Ok(())
    }

    fn flush(&mut self, tx: Option<&Transaction>, table: Table) -> anyhow::Result<()> {
        let Some(tx) = tx else {
            return Ok(());
        };
        if self.pending.is_empty() {
            return Ok(());
        }
        let df = self.frame()?;
        self.pending.clear();
        if self.writer.is_none() {
            let path = tx.rejects_path(table.name())?;
            let f = Context::with_context(File::create(&path), || {
                format!("cannot create {}", path.display())
            })?;
            let w = crate::lake::parquet_writer(BufWriter::with_capacity(1 << 20, f))
                .batched(df.schema())?;
            self.writer = Some(w);
        }
        if let Some(w) = self.writer.as_mut() {
            Context::with_context(w.write_batch(&df), || {
                format!("cannot write the rejects of {table}")
            })?;
        }
        Ok(())
    }

    fn frame(&self) -> PolarsResult<DataFrame> {
        let p = &self.pending;
        let file: Vec<&str> = p.iter().map(|(f, _)| self.files[*f].as_str()).collect();
        let line: Vec<u64> = p.iter().map(|(_, r)| r.line).collect();
        let column: Vec<&str> = p.iter().map(|(_, r)| r.column.as_str()).collect();
        let reason: Vec<&str> = p.iter().map(|(_, r)| r.reason.as_str()).collect();
        let raw: Vec<&str> = p.iter().map(|(_, r)| r.raw.as_str()).collect();
        df!(
            "source_file" => file,
            "line" => line,
            "column" => column,
            "reason" => reason,
            "raw_record" => raw,
        )
    }
}
