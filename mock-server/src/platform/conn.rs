//! Serving connections, with network faults carried out at the socket.
//!
//! Each connection's IO is wrapped in [`FaultIo`], which shares a [`ConnectionFault`] slot with
//! the requests of that connection. When the fault layer decides on a network fault it fills
//! the slot; the wrapper then resets, closes, corrupts or replaces whatever hyper writes.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt as _;

/// A network fault to carry out on the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetworkFault {
    Reset,
    Empty,
    MalformedChunk,
    Garbage(Vec<u8>),
}

/// The per-connection slot the fault layer fills. Reachable from a request's handling through
/// [`ConnectionFault::current`] only when the request came through [`serve`] (not in `oneshot`
/// tests): the slot is a task-local of the connection's task, which polls the request.
#[derive(Clone, Debug, Default)]
pub struct ConnectionFault(Arc<Slot>);

#[derive(Debug, Default)]
struct Slot {
    /// Set with the fault, so the IO wrapper's every write checks a flag, not a lock.
    armed: AtomicBool,
    fault: Mutex<Option<NetworkFault>>,
}

tokio::task_local! {
    static CONNECTION: ConnectionFault;
}

impl ConnectionFault {
    /// The slot of the connection serving the current request, if any.
    pub fn current() -> Option<ConnectionFault> {
        CONNECTION.try_with(ConnectionFault::clone).ok()
    }

    pub fn set(&self, fault: NetworkFault) {
        *self.0.fault.lock().unwrap_or_else(|e| e.into_inner()) = Some(fault);
        self.0.armed.store(true, Ordering::Release);
    }

    fn take(&self) -> Option<NetworkFault> {
        if !self.0.armed.load(Ordering::Acquire) {
            return None;
        }
        self.0.armed.store(false, Ordering::Release);
        self.0.fault.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// What the wrapper is doing to the bytes hyper writes.
enum Mode {
    Normal,
    /// Pass bytes until the end of the response head; then send `then`.
    Head {
        matched: u8,
        then: Vec<u8>,
    },
    /// Send these bytes instead of anything hyper writes, then fail.
    Sending {
        bytes: Vec<u8>,
        at: usize,
    },
    /// The connection is broken on purpose.
    Dead,
}

/// A TCP stream that can misbehave on request.
pub struct FaultIo {
    inner: TcpStream,
    slot: ConnectionFault,
    mode: Mode,
}

const BROKEN_CHUNK: &[u8] = b"zz\r\nthis is not a chunk size\r\n";

impl FaultIo {
    pub fn new(inner: TcpStream, slot: ConnectionFault) -> Self {
        Self {
            inner,
            slot,
            mode: Mode::Normal,
        }
    }

    fn broken() -> io::Error {
        io::Error::new(io::ErrorKind::BrokenPipe, "connection broken by an injected fault")
    }

    /// Pick up a newly set fault.
    fn arm(&mut self) -> io::Result<()> {
        if !matches!(self.mode, Mode::Normal) {
            return Ok(());
        }
        match self.slot.take() {
            None => {}
            Some(NetworkFault::Reset) => {
                // Linger zero turns the close into an RST.
                let _ = socket2::SockRef::from(&self.inner).set_linger(Some(Duration::ZERO));
                self.mode = Mode::Dead;
                return Err(io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    "injected connection reset",
                ));
            }
            Some(NetworkFault::Empty) => {
                self.mode = Mode::Dead;
                return Err(Self::broken());
            }
            Some(NetworkFault::MalformedChunk) => {
                self.mode = Mode::Head {
                    matched: 0,
                    then: BROKEN_CHUNK.to_vec(),
                }
            }
            Some(NetworkFault::Garbage(bytes)) => self.mode = Mode::Sending { bytes, at: 0 },
        }
        Ok(())
    }
}

impl AsyncRead for FaultIo {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for FaultIo {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if let Err(e) = this.arm() {
            return Poll::Ready(Err(e));
        }
        loop {
            match &mut this.mode {
                Mode::Normal => return Pin::new(&mut this.inner).poll_write(cx, buf),
                Mode::Dead => return Poll::Ready(Err(Self::broken())),
                Mode::Sending { bytes, at } => {
                    while *at < bytes.len() {
                        match Pin::new(&mut this.inner).poll_write(cx, &bytes[*at..]) {
                            Poll::Ready(Ok(n)) => *at += n,
                            other => return other,
                        }
                    }
                    this.mode = Mode::Dead;
                }
                Mode::Head { matched, then } => {
                    const END: &[u8] = b"\r\n\r\n";
                    let mut probe = *matched;
                    let end = buf.iter().position(|&b| {
                        probe = if b == END[probe as usize] {
                            probe + 1
                        } else if b == END[0] {
                            1
                        } else {
                            0
                        };
                        probe == 4
                    });
                    let upto = end.map_or(buf.len(), |i| i + 1);
                    let n = match Pin::new(&mut this.inner).poll_write(cx, &buf[..upto]) {
                        Poll::Ready(Ok(n)) => n,
                        other => return other,
                    };
                    for &b in &buf[..n] {
                        *matched = if b == END[*matched as usize] {
                            *matched + 1
                        } else if b == END[0] {
                            1
                        } else {
                            0
                        };
                        if *matched == 4 {
                            break;
                        }
                    }
                    if *matched == 4 {
                        let bytes = std::mem::take(then);
                        this.mode = Mode::Sending { bytes, at: 0 };
                    }
                    return Poll::Ready(Ok(n));
                }
            }
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if let Err(e) = self.arm() {
            return Poll::Ready(Err(e));
        }
        if matches!(self.mode, Mode::Normal) {
            return Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        }
        let first = bufs.iter().find(|b| !b.is_empty()).map_or(&[][..], |b| &**b);
        self.poll_write(cx, first)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if matches!(self.mode, Mode::Dead) {
            return Poll::Ready(Err(Self::broken()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Serve `app` on `listener` until `shutdown` resolves, then let open connections finish
/// (for at most `grace`).
pub async fn serve<S>(
    listener: TcpListener,
    app: S,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> io::Result<()>
where
    S: tower::Service<http::Request<axum::body::Body>, Response = axum::response::Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    // No header-read timeout: it costs a timer registration per request, and a test double
    // faces its own clients, not slowloris attackers.
    let http = hyper::server::conn::http1::Builder::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, _peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: log, back off, go on serving.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let slot = ConnectionFault::default();
        let io = TokioIo::new(FaultIo::new(stream, slot.clone()));
        let app = app.clone();
        let service = hyper::service::service_fn(move |request: http::Request<Incoming>| {
            app.clone().oneshot(request.map(axum::body::Body::new))
        });
        let connection = graceful.watch(http.serve_connection(io, service));
        tokio::spawn(CONNECTION.scope(slot, async move {
            if let Err(error) = connection.await {
                tracing::trace!(%error, "connection ended with an error");
            }
        }));
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(grace) => tracing::warn!("connections still open after {grace:?}; closing"),
    }
    Ok(())
}
