//! The accept loop: hyper's HTTP/1 server under the router, with the
//! connection limits `axum::serve` does not expose.
//!
//! * **Header read timeout**: a client must send a request's head within
//!   `header_timeout`, and hyper starts that clock whenever a connection
//!   waits for its next request, so it also closes idle keep-alive
//!   connections (slowloris holds a connection by sending a head byte by
//!   byte).
//! * **Idle timeout**: a connection on which nothing is read or written for
//!   `idle_timeout` (a stalled body, a client that stopped reading its
//!   answer) is closed. Websockets leave this loop when they upgrade; their
//!   session pings and disconnects on its own terms (`http::live`).
//! * **Connection cap**: past `max_connections` a new connection gets a
//!   short 503 and is closed, so file descriptors and memory stay bounded.
//! * **Graceful shutdown**: on `shutdown`, stop accepting, let requests in
//!   flight finish (hyper closes each connection after its current
//!   response), then return.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tower_service::Service;

use crate::http::guard::LocalAddr;

/// Connection limits (flags of `crossboard serve`).
#[derive(Debug, Clone, Copy)]
pub struct Listen {
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
}

const OVER_CAPACITY: &str = "{\"error\":{\"code\":\"too_many_connections\",\
\"message\":\"the server has too many open connections; retry shortly\"}}";

/// Serves `router` on `listener` until `shutdown` completes and every
/// connection has finished.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    opts: Listen,
    shutdown: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(opts.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.as_mut() => break,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tokio::spawn(refuse(stream));
            continue;
        };
        let router = router.clone();
        let stop = stop_rx.clone();
        tokio::spawn(async move {
            connection(stream, peer, router, opts, stop).await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(stop_rx);
    // Each connection task holds a receiver until it ends.
    stop_tx.closed().await;
}

/// Over the cap: a 503 the client can read, then close.
async fn refuse(mut stream: TcpStream) {
    let res = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{OVER_CAPACITY}",
        OVER_CAPACITY.len()
    );
    let write = async {
        stream.write_all(res.as_bytes()).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), write).await;
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    opts: Listen,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let local = match stream.local_addr() {
        Ok(a) => a,
        Err(_) => return,
    };
    let started = Instant::now();
    let seen = Arc::new(AtomicU64::new(0));
    let io = TokioIo::new(Tracked {
        inner: stream,
        started,
        seen: seen.clone(),
    });
    let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
        req.extensions_mut().insert(LocalAddr(local));
        router.clone().call(req)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(opts.header_timeout);
    let mut conn = pin!(builder.serve_connection(io, service).with_upgrades());
    let mut stopping = *stop.borrow();
    if stopping {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        let idle_at =
            started + Duration::from_millis(seen.load(Ordering::Relaxed)) + opts.idle_timeout;
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                return;
            }
            changed = stop.changed(), if !stopping => {
                stopping = true;
                if changed.is_ok() {
                    conn.as_mut().graceful_shutdown();
                }
            }
            _ = tokio::time::sleep_until(idle_at.into()) => {
                let last = started + Duration::from_millis(seen.load(Ordering::Relaxed));
                if last.elapsed() >= opts.idle_timeout {
                    tracing::debug!(%peer, "idle connection closed");
                    return;
                }
            }
        }
    }
}

/// A socket that remembers when it last moved a byte (milliseconds since
/// `started`), for the idle timeout.
struct Tracked {
    inner: TcpStream,
    started: Instant,
    seen: Arc<AtomicU64>,
}

impl Tracked {
    fn touch(&self) {
        let ms = self.started.elapsed().as_millis() as u64;
        self.seen.store(ms, Ordering::Relaxed);
    }
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.touch();
        }
        r
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
