//! Opening one SSE connection by hand: a TCP socket bound to a chosen loopback source
//! address (so many streams do not exhaust one address's ephemeral ports), a hand-written
//! HTTP/1.1 GET, and the response head checked and parsed with `httparse`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::fd::AsRawFd;

use anyhow::{Context, Result, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use super::chunked::{Body, Chunked};

/// Largest response head accepted.
const MAX_HEAD: usize = 16 * 1024;

/// The source address for stream `index` when cycling over `count` loopback addresses
/// (127.0.0.1 ..= 127.0.0.count); `None` when `count` is 0 (let the kernel choose).
pub fn source_ip(index: usize, count: u8) -> Option<Ipv4Addr> {
    (count > 0).then(|| Ipv4Addr::new(127, 0, 0, 1 + (index % usize::from(count)) as u8))
}

/// Connects to `addr` from `source` (port chosen by the kernel at connect time).
pub async fn connect(addr: SocketAddr, source: Option<Ipv4Addr>) -> Result<TcpStream> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    if let (Some(ip), SocketAddr::V4(_)) = (source, addr) {
        defer_port_choice(&socket);
        socket
            .bind(SocketAddr::new(IpAddr::V4(ip), 0))
            .with_context(|| format!("binding a socket to source address {ip}"))?;
    }
    let stream = socket
        .connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// `IP_BIND_ADDRESS_NO_PORT`: pick the source port at connect time, so a port is shared by
/// connections to different destinations. Best effort: without it, binding still works.
fn defer_port_choice(socket: &TcpSocket) {
    let one: libc::c_int = 1;
    // SAFETY: a valid socket fd and a pointer to a live c_int of the stated length.
    unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_BIND_ADDRESS_NO_PORT,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

/// The request for an SSE stream.
pub fn request(host: &str, path: &str, auth: Option<&str>, last_id: &[u8]) -> Vec<u8> {
    let mut req = Vec::with_capacity(256);
    req.extend_from_slice(format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n").as_bytes());
    req.extend_from_slice(b"Accept: text/event-stream\r\nCache-Control: no-cache\r\n");
    if let Some(auth) = auth {
        req.extend_from_slice(format!("Authorization: {auth}\r\n").as_bytes());
    }
    if !last_id.is_empty() {
        req.extend_from_slice(b"Last-Event-ID: ");
        req.extend_from_slice(last_id);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"\r\n");
    req
}

/// Sends `req` and reads the response head into `buf`. Returns the body framing and the
/// range of `buf` already holding body bytes.
pub async fn open(
    stream: &mut TcpStream,
    req: &[u8],
    buf: &mut [u8],
) -> Result<(Body, std::ops::Range<usize>)> {
    stream.write_all(req).await.context("sending the request")?;
    let mut filled = 0;
    loop {
        if filled == buf.len().min(MAX_HEAD) {
            bail!("the response head is longer than {MAX_HEAD} bytes");
        }
        let n = stream
            .read(&mut buf[filled..])
            .await
            .context("reading the response head")?;
        if n == 0 {
            bail!("the server closed the connection before answering");
        }
        filled += n;
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut resp = httparse::Response::new(&mut headers);
        let head_len = match resp.parse(&buf[..filled]) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) => continue,
            Err(e) => bail!("malformed response head: {e}"),
        };
        let status = resp.code.unwrap_or(0);
        let header = |name: &str| {
            resp.headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| String::from_utf8_lossy(h.value).to_ascii_lowercase())
        };
        if status != 200 {
            let body = String::from_utf8_lossy(&buf[head_len..filled]);
            bail!("the stream was refused: HTTP {status} {}", body.trim());
        }
        let ctype = header("content-type").unwrap_or_default();
        if !ctype.starts_with("text/event-stream") {
            bail!("the stream answered content-type {ctype:?}, not text/event-stream");
        }
        let body = match header("transfer-encoding") {
            Some(te) if te.contains("chunked") => Body::Chunked(Chunked::default()),
            Some(te) => bail!("unsupported transfer-encoding {te:?}"),
            None => Body::UntilClose,
        };
        return Ok((body, head_len..filled));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_addresses_cycle() {
        assert_eq!(source_ip(0, 4), Some(Ipv4Addr::new(127, 0, 0, 1)));
        assert_eq!(source_ip(5, 4), Some(Ipv4Addr::new(127, 0, 0, 2)));
        assert_eq!(source_ip(5, 0), None);
    }

    #[test]
    fn the_request_carries_auth_and_resume_headers() {
        let req = request("h:1", "/s", Some("Bearer t"), b"42");
        let text = String::from_utf8(req).unwrap();
        assert!(text.starts_with("GET /s HTTP/1.1\r\nHost: h:1\r\n"));
        assert!(text.contains("Authorization: Bearer t\r\n"));
        assert!(text.ends_with("Last-Event-ID: 42\r\n\r\n"));
    }
}
