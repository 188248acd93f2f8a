//! In-memory rate limiters (per instance): failed logins, registrations per IP, messages,
//! edits and reactions per user, and people put in groups per user. `RATE_LIMITS=off`
//! lifts them all. Per-IP limits key IPv6 by its /64 (one subscriber usually holds a
//! whole /64).
//!
//! Logins count failures only, never correct passwords, with back-off ([`FailureCounter`]):
//! `login_per_minute` failures per client address and account, 3× that per client address,
//! and 3× that per account from everywhere. The account-wide budget, which someone else
//! can spend, does not hold back an address this account has logged in from before on
//! this instance, so others' guessing cannot lock a person out of their usual devices.

use std::{
    collections::{HashMap, VecDeque},
    future::Future,
    hash::Hash,
    net::IpAddr,
    num::NonZeroU32,
    sync::Mutex,
    time::Duration,
};

use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};
use uuid::Uuid;

use super::failures::FailureCounter;
use crate::{config::RateLimits, error::AppError};

/// Addresses remembered per account as known for logging in.
const KNOWN_ADDRESSES: usize = 16;

pub struct Limiters {
    enabled: bool,
    login_pair: FailureCounter<(IpAddr, String)>,
    login_ip: FailureCounter<IpAddr>,
    login_account: FailureCounter<String>,
    /// Wrong current passwords given to change a password, per user.
    password_check: FailureCounter<Uuid>,
    /// Per account, the addresses it logged in from (newest last).
    known: Mutex<HashMap<String, VecDeque<IpAddr>>>,
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
            login_pair: FailureCounter::new(config.login_per_minute, LOGIN_WINDOW),
            login_ip: FailureCounter::new(config.login_per_minute * 3, LOGIN_WINDOW),
            login_account: FailureCounter::new(config.login_per_minute * 3, LOGIN_WINDOW),
            password_check: FailureCounter::new(config.login_per_minute, LOGIN_WINDOW),
            known: Mutex::new(HashMap::new()),
            register_ip: RateLimiter::keyed(Quota::per_hour(nz(config.register_per_hour))),
            messages: RateLimiter::keyed(per_minute(config.messages_per_minute)),
            changes: RateLimiter::keyed(per_minute(config.changes_per_minute)),
            group_adds: RateLimiter::keyed(Quota::per_hour(nz(config.group_adds_per_hour))),
        }
    }

    /// Runs `attempt` (checking `username`'s password) for a login from `ip`, unless too
    /// many failures came before; records whether it failed.
    pub async fn login<T>(
        &self,
        ip: IpAddr,
        username: &str,
        attempt: impl Future<Output = Result<T, AppError>>,
    ) -> Result<T, AppError> {
        if !self.enabled {
            return attempt.await;
        }
        let ip = ip_key(ip);
        let account = username.trim().to_lowercase();
        let pair = (ip, account.clone());
        let known = self.is_known(&account, ip);
        let blocked = [
            self.login_pair.blocked_for(&pair),
            self.login_ip.blocked_for(&ip),
            if known {
                None
            } else {
                self.login_account.blocked_for(&account)
            },
        ];
        if let Some(retry_after) = blocked.into_iter().flatten().max() {
            return Err(AppError::RateLimited { retry_after });
        }
        let outcome = attempt.await;
        match &outcome {
            Ok(_) => {
                self.login_pair.reset(&pair);
                self.remember(account, ip);
            }
            Err(AppError::Unauthenticated(_)) => {
                self.login_pair.failed(&pair);
                self.login_ip.failed(&ip);
                self.login_account.failed(&account);
            }
            Err(_) => {}
        }
        outcome
    }

    /// Runs `change` (a password change, which checks the current password) for `user`,
    /// unless too many wrong current passwords came before: the same failure budget and
    /// back-off as logins, so a stolen session cannot guess the password.
    pub async fn password_check<T>(
        &self,
        user: Uuid,
        change: impl Future<Output = Result<T, AppError>>,
    ) -> Result<T, AppError> {
        if !self.enabled {
            return change.await;
        }
        if let Some(retry_after) = self.password_check.blocked_for(&user) {
            return Err(AppError::RateLimited { retry_after });
        }
        let outcome = change.await;
        match &outcome {
            Err(AppError::Validation(m)) if m == crate::accounts::WRONG_CURRENT_PASSWORD => {
                self.password_check.failed(&user)
            }
            Ok(_) => self.password_check.reset(&user),
            Err(_) => {}
        }
        outcome
    }

    fn is_known(&self, account: &str, ip: IpAddr) -> bool {
        let known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        known.get(account).is_some_and(|ips| ips.contains(&ip))
    }

    fn remember(&self, account: String, ip: IpAddr) {
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        let ips = known.entry(account).or_default();
        ips.retain(|k| *k != ip);
        ips.push_back(ip);
        if ips.len() > KNOWN_ADDRESSES {
            ips.pop_front();
        }
    }

    pub fn register(&self, ip: IpAddr) -> Result<(), AppError> {
        check(self.enabled, &self.register_ip, &ip_key(ip))
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
        self.login_pair.shrink();
        self.login_ip.shrink();
        self.login_account.shrink();
        self.password_check.shrink();
        self.register_ip.retain_recent();
        self.messages.retain_recent();
        self.changes.retain_recent();
        self.group_adds.retain_recent();
    }
}

/// The window failed logins are counted in.
const LOGIN_WINDOW: Duration = Duration::from_secs(60);

/// The key of a client address for per-IP limits: IPv6 by its /64 (an IPv4-mapped address
/// as the IPv4 address).
pub fn ip_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(prefix.into())
            }
        },
    }
}

/// How often [`Limiters::shrink`] runs.
pub const SHRINK_EVERY: Duration = Duration::from_secs(60);

#[cfg(test)]
mod tests {
    use super::ip_key;

    #[test]
    fn ipv6_addresses_are_limited_by_their_64_prefix() {
        let key = |s: &str| ip_key(s.parse().unwrap()).to_string();
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::");
        assert_eq!(key("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::");
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
        assert_eq!(key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
    }
}
