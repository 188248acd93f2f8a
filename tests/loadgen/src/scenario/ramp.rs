//! `ramp`: fan-out to one group at rising rates (×factor per step). After each step and a
//! short drain, the step is good when nothing was lost, no send failed and its p99 stayed
//! under the limit; the first bad step ends the ramp. Reports the last good rate.

use std::sync::Arc;

use anyhow::Result;

use super::fanout::{prepare, sends};
use super::{Meter, tally};
use crate::config::{Options, Ramp};
use crate::progress::note;
use crate::report::{Latency, Outcome, RampResult, RampStep};
use crate::target::Target;

pub async fn run(target: &Arc<Target>, c: &Ramp, o: &Options) -> Result<Outcome> {
    let mut g = prepare(target, c.members, o).await?;
    let mut result = RampResult {
        members: c.members,
        setup_secs: g.setup_secs,
        ..RampResult::default()
    };
    let max_p99_ms = c.max_p99.as_secs_f64() * 1e3;
    let mut rate = c.from;
    result.stopped_because = loop {
        if result.steps.len() >= c.max_steps {
            break format!("ran the {} steps allowed", c.max_steps);
        }
        if rate > c.max_rate {
            break format!("reached the rate limit of {} msg/s", c.max_rate);
        }
        let before = tally::arrived_so_far(&g.set.hub);
        let dups_before = tally::duplicates(&g.set.hub);
        let meter = Meter::start(target.pid);
        let log = g
            .sender
            .open_loop(&g.room, rate, c.step, o.send_conns)
            .await;
        let expected = tally::expected(&g.set.specs, &log.ok);
        tally::drain(&g.set.hub, before, expected, o.drain).await;
        let mut delivery = tally::tally(&g.set.hub, &g.set.specs, &log.ok, false);
        delivery.duplicates = tally::duplicates(&g.set.hub) - dups_before;
        delivery.latency = Latency::of(&g.set.hub.latencies.take());
        delivery.per_sec = delivery.delivered as f64 / c.step.as_secs_f64();
        let cpu = meter.read(delivery.delivered);
        let sends = sends(&log);
        let failed = sends.errors + sends.unsent;
        let verdict = if delivery.lost > 0 {
            Some(format!(
                "{} deliveries lost at {rate:.0} msg/s",
                delivery.lost
            ))
        } else if failed > 0 {
            Some(format!("{failed} sends failed at {rate:.0} msg/s"))
        } else if delivery.latency.p99_ms > max_p99_ms {
            Some(format!(
                "p99 {:.1} ms > {max_p99_ms:.0} ms at {rate:.0} msg/s",
                delivery.latency.p99_ms
            ))
        } else if delivery.delivered == 0 {
            Some(format!("nothing was delivered at {rate:.0} msg/s"))
        } else {
            None
        };
        note(
            o.progress,
            format!(
                "step {:.0} msg/s: {} deliveries/s, p99 {:.1} ms, lost {}: {}",
                rate,
                delivery.per_sec.round(),
                delivery.latency.p99_ms,
                delivery.lost,
                verdict.as_deref().unwrap_or("good")
            ),
        );
        let good = verdict.is_none();
        if good {
            result.last_good_rate = Some(rate);
            result.last_good_deliveries_per_sec = Some(delivery.per_sec);
        }
        result.steps.push(RampStep {
            rate,
            sends,
            delivery,
            server_us_per_delivery: cpu.server_us_per_delivery,
            good,
        });
        if let Some(why) = verdict {
            break why;
        }
        rate *= c.factor;
    };
    g.set.stop().await;
    result.streams = g.set.stats();
    Ok(Outcome::Ramp(result))
}
