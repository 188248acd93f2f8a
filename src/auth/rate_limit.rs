//! In-memory rate limiters (per instance): logins per IP and per account, registrations per
//! IP, messages, edits and reactions per user, and people put in groups per user.
//! `RATE_LIMITS=off` lifts them all.

use std::{hash::Hash, net::IpAddr, num::NonZeroU32, time::Duration};

use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};
use uuid::Uuid;

use crate::{config::RateLimits, error::AppError};

pub struct Limiters {
    enabled: bool,
    login_ip: DefaultKeyedRateLimiter<IpAddr>,
    login_account: DefaultKeyedRateLimiter<String>,
    register_ip: DefaultKeyedRateLimiter<IpAddr>,
    messages: DefaultKeyedRateLimiter<Uuid>,
    changes: DefaultKeyedRateLimiter<Uuid>,
    group_adds: DefaultKeyedRateLimiter<Uuid>,
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).expect("max(1) is non-zero")
}

fn check<K: Hash + Eq + Clone>(
    enabled: bool,
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
) -> Result<(), AppError> {
    if !enabled {
        return Ok(());
    }
    limiter
        .check_key(key)
        .map_err(|not_until| AppError::RateLimited {
            retry_after: not_until.wait_time_from(DefaultClock::default().now()),
        })
}

impl Limiters {
    pub fn new(config: &RateLimits) -> Self {
        let per_minute = |n| Quota::per_minute(nz(n));
        Self {
            enabled: config.enabled,
            login_ip: RateLimiter::keyed(per_minute(config.login_per_minute * 3)),
            login_account: RateLimiter::keyed(per_minute(config.login_per_minute)),
            register_ip: RateLimiter::keyed(Quota::per_hour(nz(config.register_per_hour))),
            messages: RateLimiter::keyed(per_minute(config.messages_per_minute)),
            changes: RateLimiter::keyed(per_minute(config.changes_per_minute)),
            group_adds: RateLimiter::keyed(Quota::per_hour(nz(config.group_adds_per_hour))),
        }
    }

    /// One login attempt from `ip` for `username`.
    pub fn login(&self, ip: IpAddr, username: &str) -> Result<(), AppError> {
        check(self.enabled, &self.login_ip, &ip)?;
        check(
            self.enabled,
            &self.login_account,
            &username.trim().to_lowercase(),
        )
    }

    pub fn register(&self, ip: IpAddr) -> Result<(), AppError> {
        check(self.enabled, &self.register_ip, &ip)
    }

    pub fn send_message(&self, user: Uuid) -> Result<(), AppError> {
        check(self.enabled, &self.messages, &user)
    }

    /// One edit or reaction change by `user`.
    pub fn change(&self, user: Uuid) -> Result<(), AppError> {
        check(self.enabled, &self.changes, &user)
    }

    /// `user` puts `people` others in a group (creating it or adding them).
    pub fn group_adds(&self, user: Uuid, people: usize) -> Result<(), AppError> {
        if !self.enabled || people == 0 {
            return Ok(());
        }
        let people = nz(u32::try_from(people).unwrap_or(u32::MAX));
        match self.group_adds.check_key_n(&user, people) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(AppError::RateLimited {
                retry_after: not_until.wait_time_from(DefaultClock::default().now()),
            }),
            // More than the whole hourly budget at once.
            Err(_) => Err(AppError::validation(
                "that is more people than you may add to groups in an hour",
            )),
        }
    }

    /// Forgets keys whose budget is full again, so memory stays bounded.
    pub fn shrink(&self) {
        self.login_ip.retain_recent();
        self.login_account.retain_recent();
        self.register_ip.retain_recent();
        self.messages.retain_recent();
        self.changes.retain_recent();
        self.group_adds.retain_recent();
    }
}

/// How often [`Limiters::shrink`] runs.
pub const SHRINK_EVERY: Duration = Duration::from_secs(60);
