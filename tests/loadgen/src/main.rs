//! `loadgen SCENARIO [options]`: runs the scenario against each target in turn, prints the
//! side-by-side Markdown table and optionally writes the report as JSON. A target that
//! fails is reported and the others still run; the exit code says whether all succeeded.

mod cli;

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use loadgen::{Report, run_target, search, table};

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("loadgen: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&cli)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("loadgen: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs every target; `Ok(false)` if one of them failed.
async fn run(cli: &cli::Cli) -> Result<bool> {
    let Some(plan) = cli.plan() else {
        return run_search(cli).await;
    };
    let mut report = Report {
        scenario: plan.scenario.name().to_owned(),
        targets: Vec::new(),
    };
    let mut all_ok = true;
    for spec in &plan.targets {
        match run_target(spec, &plan.scenario, &plan.options).await {
            Ok(t) => report.targets.push(t),
            Err(e) => {
                eprintln!("loadgen: {} failed: {e:#}", spec.kind.name());
                all_ok = false;
            }
        }
    }
    println!("{}", table::markdown(&report));
    if let Some(path) = &cli.json {
        let json = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(all_ok)
}

/// `seed-search` or `search`.
async fn run_search(cli: &cli::Cli) -> Result<bool> {
    if let Some(token) = &cli.token {
        let timings = search::bench(&cli.confab, token, cli.runs).await?;
        println!("{}", search::table(&timings));
        return Ok(true);
    }
    let database_url = cli
        .database_url
        .clone()
        .context("seed-search needs --database-url (search needs --token)")?;
    let seeded = search::seed(
        &search::Seed {
            database_url,
            messages: cli.messages,
            threads: cli.seed_threads,
            user_threads: cli.user_threads,
            users: 200,
        },
        !cli.quiet,
    )
    .await?;
    println!(
        "seeded {} messages over {} threads in {:.0} s; the searcher {} is in {} of them\n\
         token: {}",
        cli.messages,
        cli.seed_threads,
        seeded.seconds,
        seeded.username,
        cli.user_threads,
        seeded.token
    );
    Ok(true)
}
