//! Baseline for the ingest benchmark: a bare polars CSV → Parquet conversion (zstd at the
//! lake's level, `mcr::lake::compression`, statistics on: the lake's writer settings; schema
//! inferred by polars, no validation) of every CSV in a folder. `benches/ingest.sh` compares `mcr ingest` against it.
//!
//! cargo build --release --example polars_baseline
//! target/release/examples/polars_baseline <csv folder> <out folder>

use std::path::PathBuf;

use polars::prelude::*;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (src, out) = match (args.get(1), args.get(2)) {
        (Some(s), Some(o)) => (PathBuf::from(s), PathBuf::from(o)),
        _ => anyhow::bail!("usage: polars_baseline <csv folder> <out folder>"),
    };
    std::fs::create_dir_all(&out)?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&src)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    for f in files {
        let start = std::time::Instant::now();
        let name = f
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("table")
            .to_string();
        let lf = LazyCsvReader::new(PlRefPath::new(f.to_string_lossy().as_ref())).finish()?;
        let target = out.join(format!("{name}.parquet"));
        let opts = ParquetWriteOptions {
            compression: mcr::lake::compression(),
            statistics: StatisticsOptions::full(),
            ..Default::default()
        };
        lf.sink(
            SinkDestination::File {
                target: SinkTarget::Path(PlRefPath::new(target.to_string_lossy().as_ref())),
            },
            FileWriteFormat::Parquet(std::sync::Arc::new(opts)),
            UnifiedSinkArgs::default(),
        )?
        .collect()?;
        eprintln!("{name}: {:.2}s", start.elapsed().as_secs_f64());
    }
    Ok(())
}
