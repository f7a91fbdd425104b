use std::fs::File;
use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use polars::prelude::*;

use crate::cli::{OutputFormat, QueryArgs};
use crate::commands::Context;
use crate::error::{ExitStatus, UsageError};
use crate::lake::Lake;
use crate::settings::AsOf;

pub fn run(ctx: &Context, args: &QueryArgs) -> anyhow::Result<ExitStatus> {
    let arg = args.sql.trim();
    let looks_like_file = arg.to_ascii_lowercase().ends_with(".sql")
        || (!arg.contains(' ') && Path::new(arg).is_file());
    let (sql, source) = if looks_like_file {
        let text = std::fs::read_to_string(arg).map_err(|e| {
            UsageError::new(format!("cannot read SQL file {arg}: {e}"))
                .with_hint("give SQL text in quotes or the path of a .sql file")
        })?;
        (text, Some(arg.to_string()))
    } else {
        (arg.to_string(), None)
    };
    // The global --json means JSON rows here, like --format json.
    let format = match (ctx.settings.json, args.format) {
        (false, f) => f,
        (true, OutputFormat::Table | OutputFormat::Json) => OutputFormat::Json,
        (true, other) => {
            return Err(UsageError::new(format!(
                "--json and --format {} ask for two output formats",
                format!("{other:?}").to_lowercase()
            ))
            .with_hint("use one of them: --json is the same as --format json")
            .into())
        }
    };
    if format == OutputFormat::Parquet && args.output.is_none() {
        return Err(UsageError::new("--format parquet needs --output FILE")
            .with_hint("e.g. mcr query q.sql --format parquet -o out.parquet")
            .into());
    }
    let as_of = match ctx.settings.as_of {
        AsOf::Date(d) => Some(d),
        AsOf::Latest => None,
    };
    let lake = Lake::open(&ctx.settings.lake);
    let res = lake
        .view()
        .and_then(|view| crate::sql::query(&view, as_of, &sql));
    let mut df = match (res, &source) {
        (Ok(df), _) => df,
        (Err(e), Some(f)) => return Err(e.context(format!("query {f} failed"))),
        (Err(e), None) => return Err(e),
    };
    match &args.output {
        Some(p) => {
            let f = File::create(p).with_context(|| format!("cannot create {}", p.display()))?;
            write(&mut df, format, f)?;
        }
        None => {
            let out = std::io::stdout();
            let mut lock = out.lock();
            write(&mut df, format, &mut lock)?;
            lock.flush()?;
        }
    }
    Ok(ExitStatus::Success)
}

fn write<W: Write>(df: &mut DataFrame, format: OutputFormat, mut w: W) -> anyhow::Result<()> {
    match format {
        // floats as people read them; the file formats keep full precision
        OutputFormat::Table => w.write_all(super::table::render(df).as_bytes())?,
        OutputFormat::Csv => {
            // Safe to open in Excel (formula-like text cells neutralised); see lake::excel.
            let mut safe = crate::lake::excel::excel_safe(df)?;
            CsvWriter::new(&mut w).finish(&mut safe)?;
        }
        OutputFormat::Json => {
            JsonWriter::new(&mut w)
                .with_json_format(JsonFormat::Json)
                .finish(df)?;
            writeln!(w)?;
        }
        OutputFormat::Parquet => {
            ParquetWriter::new(&mut w).finish(df)?;
        }
    }
    Ok(())
}
