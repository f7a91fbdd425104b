//! Opportunity probabilities come as fractions (0.25) or percentages (25): a file whose
//! accepted values are all ≤ 1 holds fractions, any other holds percentages, divided by 100.
//!
//! The decision needs the whole file, yet the rows stream through the ingest in bounded
//! memory: they are written as they are, the largest value is tracked on the way, and a part
//! holding percentages is rewritten afterwards by a streaming query over the rows of those
//! files (nothing to do for fractions, the usual case).

use std::path::Path;

use anyhow::Context as _;
use polars::prelude::*;

/// Divide `probability` by 100 in the rows `ranges` (first row, number of rows) of the
/// Parquet part at `path`, in place (through a temporary file beside it).
pub fn rescale(path: &Path, ranges: &[(u64, u64)]) -> anyhow::Result<()> {
    const ROW: &str = "__mcr_row";
    let row = || col(ROW).cast(DataType::Int64);
    let in_ranges = ranges
        .iter()
        .map(|&(start, n)| {
            row()
                .gt_eq(lit(start as i64))
                .and(row().lt(lit((start + n) as i64)))
        })
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false));
    let lf = crate::lake::scan_parquet_files(&[path.to_path_buf()])?
        .with_row_index(ROW, None)
        .with_column(
            when(in_ranges)
                .then(col("probability") / lit(100.0))
                .otherwise(col("probability"))
                .alias("probability"),
        )
        .drop(by_name([ROW], true, false));
    let tmp = path.with_extension("rescale.tmp");
    let opts = ParquetWriteOptions {
        compression: crate::lake::compression(),
        statistics: StatisticsOptions::full(),
        ..Default::default()
    };
    let sunk = lf
        .sink(
            SinkDestination::File {
                target: SinkTarget::Path(PlRefPath::new(tmp.to_string_lossy().as_ref())),
            },
            FileWriteFormat::Parquet(std::sync::Arc::new(opts)),
            UnifiedSinkArgs::default(),
        )
        .and_then(|s| s.collect());
    anyhow::Context::with_context(sunk, || {
        format!("cannot rescale the probabilities of {}", path.display())
    })?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot replace {} with {}", path.display(), tmp.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_rows_of_percentage_files_are_divided() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part-0.parquet");
        let mut df = df!(
            "opportunity_id" => ["a", "b", "c", "d", "e"],
            "probability" => [Some(0.5), Some(40.0), None, Some(100.0), Some(0.25)],
        )
        .unwrap();
        crate::lake::write_parquet(&mut df, &path).unwrap();
        // Rows 1..4 came from a file of percentages; 0 and 4 from files of fractions.
        rescale(&path, &[(1, 3)]).unwrap();
        let back = crate::lake::scan_parquet_files(std::slice::from_ref(&path))
            .unwrap()
            .collect()
            .unwrap();
        assert_eq!(back.get_column_names(), ["opportunity_id", "probability"]);
        let p: Vec<Option<f64>> = back
            .column("probability")
            .unwrap()
            .f64()
            .unwrap()
            .iter()
            .collect();
        // 40 / 100 = 0.4, 100 / 100 = 1; null stays null.
        assert_eq!(p, [Some(0.5), Some(0.4), None, Some(1.0), Some(0.25)]);
        assert!(!dir.path().join("part-0.rescale.tmp").exists());
    }
}
