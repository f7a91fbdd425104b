use std::io::Write;

use crate::cli::{ProfilesAction, ProfilesArgs};
use crate::commands::Context;
use crate::error::ExitStatus;

pub fn run(ctx: &Context, args: &ProfilesArgs) -> anyhow::Result<ExitStatus> {
    let mut out = std::io::stdout().lock();
    match &args.action {
        Some(ProfilesAction::Show { name }) => {
            out.write_all(crate::profiles::source_text(name)?.as_bytes())?;
        }
        Some(ProfilesAction::Init { dir, output }) => {
            let d = crate::ingest::draft::draft(dir, ctx.settings.reporting_currency.as_deref())?;
            let mut err = std::io::stderr().lock();
            if ctx.settings.json {
                let mut v = serde_json::to_value(&d)?;
                if output.is_none() {
                    v["profile"] = serde_json::Value::String(d.toml.clone());
                }
                serde_json::to_writer_pretty(&mut out, &v)?;
                writeln!(out)?;
            } else if !ctx.settings.quiet {
                err.write_all(crate::ingest::draft::coverage(&d).as_bytes())?;
            }
            match output {
                Some(path) => {
                    std::fs::write(path, &d.toml).map_err(|e| {
                        crate::error::hinted(
                            format!("cannot write {}: {e}", path.display()),
                            "choose a writable path for -o",
                        )
                    })?;
                    writeln!(
                        err,
                        "wrote {}; ingest with `mcr ingest {} --profile {}`",
                        path.display(),
                        dir.display(),
                        path.display()
                    )?;
                }
                None if !ctx.settings.json => out.write_all(d.toml.as_bytes())?,
                None => {}
            }
        }
        None => {
            let mut list = Vec::new();
            for (name, _) in crate::profiles::BUILTIN {
                let p = crate::profiles::load(name)?;
                list.push(p);
            }
            if ctx.settings.json {
                serde_json::to_writer_pretty(&mut out, &list)?;
                writeln!(out)?;
                return Ok(ExitStatus::Success);
            }
            for p in list {
                writeln!(out, "{:<12} {}", p.name, p.description)?;
                for m in &p.tables {
                    let mut cols: Vec<String> = m
                        .columns
                        .iter()
                        .map(|(c, s)| format!("{c}←{}", s.as_slice().join("|")))
                        .collect();
                    for (c, spec) in &m.derive {
                        for d in spec.as_slice() {
                            cols.push(format!("{c}←{}({})", d.lookup, d.from.as_slice().join("|")));
                        }
                    }
                    for (c, comps) in m.computes() {
                        let d: Vec<String> = comps.iter().map(|x| x.describe()).collect();
                        cols.push(format!("{c}←{}", d.join(" or ")));
                    }
                    let cols = if cols.is_empty() {
                        "canonical column names".to_string()
                    } else {
                        cols.join(", ")
                    };
                    writeln!(out, "  {:<14} {:<28} {cols}", m.name, m.files.join(" "))?;
                }
                for l in &p.lookups {
                    let then = l
                        .then
                        .as_ref()
                        .map(|t| format!(" → {t}"))
                        .unwrap_or_default();
                    writeln!(
                        out,
                        "  lookup {:<22} {:<20} {}→{}{then}",
                        l.name,
                        l.files.join(" "),
                        l.key.describe(),
                        l.value.describe()
                    )?;
                }
            }
            writeln!(out, "\nShow one with `mcr profiles show NAME`; copy it to write your own and pass `--profile my.toml`.")?;
        }
    }
    Ok(ExitStatus::Success)
}
