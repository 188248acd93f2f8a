//! Running a plan: each target in turn (never at once: they share the machine) runs the
//! same scenario code against its [`Target`]; results are gathered into one [`Report`].

mod dms;
mod fanout;
mod idle;
mod ramp;
mod streams;
mod tally;

use std::sync::Arc;

use anyhow::{Context, Result};

use crate::config::{Options, Plan, Scenario, TargetSpec};
use crate::marker::Clock;
use crate::proc;
use crate::progress::note;
use crate::report::{Cpu, Report, TargetReport};
use crate::target::Target;

/// Runs every target of `plan`; the first failure ends the run.
pub async fn run(plan: Plan) -> Result<Report> {
    let mut targets = Vec::new();
    for spec in &plan.targets {
        targets.push(run_target(spec, &plan.scenario, &plan.options).await?);
    }
    Ok(Report {
        scenario: plan.scenario.name().to_owned(),
        targets,
    })
}

/// Runs `scenario` against one target.
pub async fn run_target(
    spec: &TargetSpec,
    scenario: &Scenario,
    o: &Options,
) -> Result<TargetReport> {
    let name = spec.kind.name();
    scenario.check()?;
    proc::ensure_open_files(
        descriptors(scenario, o),
        "this scenario's streams and connections",
    )?;
    let target = Arc::new(Target::connect(spec).await?);
    match target.pid {
        Some(pid) => note(
            o.progress,
            format!("{name}: {} (pid {pid}), {}", spec.url, scenario.name()),
        ),
        None => note(
            o.progress,
            format!(
                "{name}: {} (server pid unknown: no memory or CPU figures)",
                spec.url
            ),
        ),
    }
    let outcome = match scenario {
        Scenario::Idle(c) => idle::run(&target, c, o).await,
        Scenario::Fanout(c) => fanout::run(&target, c, o).await,
        Scenario::Dms(c) => dms::run(&target, c, o).await,
        Scenario::Ramp(c) => ramp::run(&target, c, o).await,
    }
    .with_context(|| {
        format!(
            "{} scenario against {name} at {}",
            scenario.name(),
            spec.url
        )
    })?;
    Ok(TargetReport {
        target: spec.kind,
        url: spec.url.clone(),
        server_pid: target.pid,
        outcome,
    })
}

/// Descriptors this process needs for `scenario` (streams plus sending connections).
fn descriptors(scenario: &Scenario, o: &Options) -> usize {
    match scenario {
        Scenario::Idle(c) => c.streams + o.register_concurrency,
        Scenario::Fanout(c) => c.members + o.send_conns + o.register_concurrency,
        Scenario::Ramp(c) => c.members + o.send_conns + o.register_concurrency,
        Scenario::Dms(c) => 2 * c.pairs * (1 + c.inflight.max(1)) + o.register_concurrency,
    }
}

/// CPU use of the server and of this process since [`Meter::start`].
struct Meter {
    pid: Option<u32>,
    server0: Option<f64>,
    me0: f64,
}

impl Meter {
    fn start(pid: Option<u32>) -> Self {
        Self {
            pid,
            server0: pid.and_then(proc::cpu_secs),
            me0: own_cpu(),
        }
    }

    /// CPU used so far; `per` deliveries (or messages) give the per-item figure.
    fn read(&self, per: u64) -> Cpu {
        let server_secs = match (self.server0, self.pid.and_then(proc::cpu_secs)) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        };
        Cpu {
            server_secs,
            server_us_per_delivery: server_secs
                .filter(|_| per > 0)
                .map(|s| s * 1e6 / per as f64),
            loadgen_secs: own_cpu() - self.me0,
        }
    }
}

fn own_cpu() -> f64 {
    proc::cpu_secs(std::process::id()).unwrap_or(0.0)
}

/// One clock per target run: markers and arrivals are measured on it.
fn clock() -> Clock {
    Clock::new()
}
