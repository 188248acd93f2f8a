//! Caps on open connections: one for the whole server and one per client address (the
//! peer address, IPv6 by its /64), so a single client cannot hold every socket. A
//! connection over a cap is answered `503` with `Retry-After` and closed unread.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{io::AsyncWriteExt, net::TcpStream};

use crate::auth::rate_limit::ip_key;

pub struct ConnectionLimits {
    global: usize,
    /// 0: no per-address cap.
    per_ip: usize,
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    total: usize,
    by_ip: HashMap<IpAddr, usize>,
}

/// An admitted connection; dropping it frees its place.
pub struct Admitted {
    limits: Arc<ConnectionLimits>,
    key: IpAddr,
}

impl ConnectionLimits {
    pub fn new(global: usize, per_ip: usize) -> Arc<Self> {
        Arc::new(Self {
            global: global.max(1),
            per_ip,
            open: Mutex::new(Open::default()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A place for a connection from `ip`, if both caps allow one.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Admitted> {
        let key = ip_key(ip);
        let mut open = self.lock();
        let mine = open.by_ip.get(&key).copied().unwrap_or(0);
        if open.total >= self.global || (self.per_ip > 0 && mine >= self.per_ip) {
            return None;
        }
        open.total += 1;
        open.by_ip.insert(key, mine + 1);
        Some(Admitted {
            limits: self.clone(),
            key,
        })
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut open = self.limits.lock();
        open.total = open.total.saturating_sub(1);
        if let Some(n) = open.by_ip.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                open.by_ip.remove(&self.key);
            }
        }
    }
}

/// Answers a connection over a cap with a `503` and closes it (within a second).
pub async fn refuse(mut stream: TcpStream) {
    const ANSWER: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n\
        Content-Type: text/plain\r\nContent-Length: 21\r\nConnection: close\r\n\r\n\
        too many connections\n";
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(ANSWER).await;
        let _ = stream.shutdown().await;
    })
    .await;
}
