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
            let (toml, drafts, unknown) = crate::ingest::draft::draft(dir)?;
            // The draft must load: a profile that does not parse is a bug here, not the user's.
            crate::profiles::Profile::from_toml(&toml, "the draft")?;
            let mut err = std::io::stderr().lock();
            err.write_all(crate::ingest::draft::coverage(&drafts, &unknown).as_bytes())?;
            match output {
                Some(path) => {
                    std::fs::write(path, &toml)?;
                    writeln!(
                        err,
                        "wrote {}; check it with `mcr ingest {} --profile {} --dry-run`",
                        path.display(),
                        dir.display(),
                        path.display()
                    )?;
                }
                None => out.write_all(toml.as_bytes())?,
            }
            if drafts.iter().any(|d| !d.unmapped_required.is_empty()) {
                writeln!(err, "some required columns have no confident match: map them by hand (see NOT MAPPED in the draft)")?;
            }
            if drafts
                .iter()
                .any(|d| d.labels.iter().any(|l| !l.unknown.is_empty()))
            {
                writeln!(err, "some labels were not recognised: map them in the draft (see TODO), or the rows holding them are rejected")?;
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
