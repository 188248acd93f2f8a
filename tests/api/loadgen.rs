//! The load generator (`tests/loadgen`), each scenario run tiny against a test server.
//! Asserts the generator's own result invariants (every message reaches every stream that
//! should see it, once), never timings.

use std::time::Duration;

use loadgen::{Dms, Fanout, Idle, Options, Outcome, Plan, Ramp, Report, Scenario, TargetSpec};

use crate::helpers::spawn_app_with;

fn options() -> Options {
    Options {
        source_ips: 2,
        open_concurrency: 4,
        register_concurrency: 4,
        send_conns: 2,
        // Both waits end as soon as everything arrived; the long limits only matter on failure.
        drain: Duration::from_secs(30),
        warm_up_timeout: Duration::from_secs(60),
        progress: false,
        ..Options::default()
    }
}

async fn run(scenario: Scenario) -> Outcome {
    let app = spawn_app_with(&[("RATE_LIMITS", "off"), ("HEARTBEAT_SECS", "1")]).await;
    let report: Report = loadgen::run(Plan {
        targets: vec![TargetSpec::confab(&app.address)],
        scenario,
        options: options(),
    })
    .await
    .expect("the load generator runs");
    report
        .targets
        .into_iter()
        .next()
        .expect("one target")
        .outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiny_fanout_delivers_every_message_to_every_member_once() {
    let Outcome::Fanout(f) = run(Scenario::Fanout(Fanout {
        members: 3,
        rate: 2.0,
        duration: Duration::from_secs(2),
    }))
    .await
    else {
        panic!("a fanout outcome");
    };
    assert_eq!(f.streams.opened, 3, "{:?}", f.streams.first_error);
    assert_eq!(f.streams.warmed_up, 3);
    assert_eq!(
        (f.sends.ok, f.sends.errors, f.sends.unsent),
        (4, 0, 0),
        "{:?}",
        f.sends.first_error
    );
    assert_eq!(f.delivery.expected, 12);
    assert_eq!(f.delivery.delivered, 12);
    assert_eq!(f.delivery.lost, 0);
    assert_eq!(f.delivery.duplicates, 0);
    assert_eq!(f.delivery.unexpected, 0);
    assert_eq!(f.delivery.latency.count, 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiny_dms_reach_both_members_of_each_conversation() {
    let Outcome::Dms(d) = run(Scenario::Dms(Dms {
        pairs: 2,
        inflight: 1,
        duration: Duration::from_secs(2),
    }))
    .await
    else {
        panic!("a dms outcome");
    };
    assert_eq!(d.senders, 4);
    assert_eq!(d.streams.opened, 4, "{:?}", d.streams.first_error);
    assert_eq!(d.streams.warmed_up, 4);
    assert_eq!(d.sends.errors, 0, "{:?}", d.sends.first_error);
    assert!(d.sends.ok > 0);
    // Each message reaches its author's stream (an echo) and the peer's.
    assert_eq!(d.delivery.expected, 2 * d.sends.ok);
    assert_eq!(d.delivery.delivered, d.delivery.expected);
    assert_eq!(d.delivery.echoes, d.sends.ok);
    assert_eq!(d.delivery.latency.count, d.sends.ok);
    assert_eq!(d.send_latency.count, d.sends.ok);
    assert_eq!(
        (
            d.delivery.lost,
            d.delivery.duplicates,
            d.delivery.unexpected
        ),
        (0, 0, 0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiny_idle_run_holds_every_stream_without_a_disconnect() {
    let Outcome::Idle(i) = run(Scenario::Idle(Idle {
        streams: 3,
        users: Some(2),
        hold: Duration::from_secs(2),
        settle: Duration::ZERO,
        heartbeat: Duration::from_secs(1),
    }))
    .await
    else {
        panic!("an idle outcome");
    };
    assert_eq!(i.users, 2);
    assert_eq!(i.streams.opened, 3, "{:?}", i.streams.first_error);
    assert_eq!(i.streams.open_failures, 0);
    assert_eq!(i.disconnects_during_hold, 0);
    assert!(i.heartbeats_expected.is_some(), "Confab sends heartbeats");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiny_ramp_runs_its_steps_without_losing_anything() {
    let Outcome::Ramp(r) = run(Scenario::Ramp(Ramp {
        members: 3,
        from: 2.0,
        factor: 2.0,
        step: Duration::from_secs(1),
        // Only loss and failed sends may end this ramp, never latency.
        max_p99: Duration::from_secs(3600),
        max_rate: 1000.0,
        max_steps: 2,
    }))
    .await
    else {
        panic!("a ramp outcome");
    };
    assert_eq!(r.steps.len(), 2, "stopped: {}", r.stopped_because);
    for step in &r.steps {
        assert!(step.good, "{step:?}");
        assert_eq!(step.delivery.expected, 3 * step.sends.ok);
        assert_eq!(step.delivery.delivered, step.delivery.expected);
    }
    assert_eq!(r.last_good_rate, Some(4.0));
}
