//! Live delivery: the event log (written in the same transaction as each change), and
//! later the tailer, doorbell and per-user stream registry.

pub mod log;
