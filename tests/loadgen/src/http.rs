//! A small keep-alive HTTP/1.1 client for set-up calls and message sends. One [`Conn`] is
//! one connection (hyper's connection API, no pool), reopened after the server closes it,
//! so a sender with several `Conn`s has exactly that many connections.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{HeaderMap, Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// How long one request may take before it counts as failed.
const TIMEOUT: Duration = Duration::from_secs(60);

/// A server, from an `http://host:port` URL.
#[derive(Clone, Debug)]
pub struct Server {
    pub url: String,
    pub addr: SocketAddr,
    /// The `Host` header value.
    pub host: String,
}

impl Server {
    pub async fn resolve(url: &str) -> Result<Self> {
        let uri: hyper::Uri = url.parse().with_context(|| format!("bad URL {url:?}"))?;
        if uri.scheme_str() != Some("http") {
            bail!("only http:// URLs are supported, got {url:?}");
        }
        let authority = uri.authority().context("the URL has no host")?;
        let port = authority.port_u16().unwrap_or(80);
        let host = authority.host().trim_matches(['[', ']']);
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .with_context(|| format!("resolving {host}"))?
            .collect();
        let addr = addrs
            .iter()
            .find(|a| a.is_ipv4())
            .or(addrs.first())
            .copied()
            .with_context(|| format!("{host} has no address"))?;
        Ok(Self {
            url: url.trim_end_matches('/').to_owned(),
            addr,
            host: authority.as_str().to_owned(),
        })
    }
}

/// A server's answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_slice(&self.body)
            .with_context(|| format!("the answer is not JSON: {}", self.snippet()))
    }

    /// The start of the body, for error messages.
    pub fn snippet(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let text = text.trim();
        match text.char_indices().nth(300) {
            Some((i, _)) => format!("{}...", &text[..i]),
            None => text.to_owned(),
        }
    }
}

/// One keep-alive connection.
pub struct Conn {
    server: Arc<Server>,
    tx: Option<SendRequest<Full<Bytes>>>,
}

impl Conn {
    pub fn new(server: Arc<Server>) -> Self {
        Self { server, tx: None }
    }

    /// Sends one request and reads the whole answer.
    pub async fn call(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<Answer> {
        let mut req = Request::builder()
            .method(method.clone())
            .uri(path)
            .header("host", &self.server.host);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let req = req
            .body(Full::new(body))
            .with_context(|| format!("building {method} {path}"))?;
        let exchange = async {
            let tx = self.ready().await?;
            let resp = tx.send_request(req).await?;
            let (parts, body) = resp.into_parts();
            let body = body.collect().await?.to_bytes();
            anyhow::Ok(Answer {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        let result = match tokio::time::timeout(TIMEOUT, exchange).await {
            Ok(r) => r.with_context(|| format!("{method} {path}")),
            Err(_) => Err(anyhow::anyhow!(
                "{method} {path}: no answer within {TIMEOUT:?}"
            )),
        };
        if result.is_err() {
            self.tx = None;
        }
        result
    }

    /// A JSON POST, with an optional `Authorization` or `Cookie` header.
    pub async fn post_json(
        &mut self,
        path: &str,
        auth: Option<(&str, &str)>,
        body: &serde_json::Value,
    ) -> Result<Answer> {
        let mut headers = vec![("content-type", "application/json")];
        headers.extend(auth);
        let body = Bytes::from(serde_json::to_vec(body)?);
        self.call(Method::POST, path, &headers, body).await
    }

    async fn ready(&mut self) -> Result<&mut SendRequest<Full<Bytes>>> {
        let alive = match self.tx.as_mut() {
            Some(tx) => tx.ready().await.is_ok(),
            None => false,
        };
        let tx = match self.tx.take() {
            Some(tx) if alive => tx,
            _ => self.connect().await?,
        };
        Ok(self.tx.insert(tx))
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>> {
        let addr = self.server.addr;
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        let (tx, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(tx)
    }
}
