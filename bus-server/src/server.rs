//! [`BusServer`]: binds, serves until shut down, and shuts down gracefully (in-flight requests finish,
//! long polls return at once with no messages).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::serve::ListenerExt;
use bus_memory::MemoryBackend;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::ServerConfig;
use crate::error::ServerError;
use crate::registry::Registry;
use crate::service::Service;

/// A bound SNS/SQS server, ready to [`run`](BusServer::run) or [`spawn`](BusServer::spawn).
#[derive(Debug)]
pub struct BusServer {
    listener: TcpListener,
    service: Arc<Service>,
    shutdown: Arc<watch::Sender<bool>>,
    addr: SocketAddr,
}

/// Stops a running server: in-flight requests finish, long polls return empty, then `run` returns.
#[derive(Debug, Clone)]
pub struct ShutdownHandle(Arc<watch::Sender<bool>>);

impl ShutdownHandle {
    /// Starts the graceful shutdown (idempotent).
    pub fn shutdown(&self) {
        self.0.send_replace(true);
    }
}

/// A server running on a tokio task (see [`BusServer::spawn`]).
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    shutdown: ShutdownHandle,
    task: JoinHandle<Result<(), ServerError>>,
    backend: MemoryBackend,
}

impl RunningServer {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its URL (`http://127.0.0.1:PORT`), to use as an SDK endpoint.
    pub fn endpoint(&self) -> String {
        endpoint_of(self.addr)
    }

    /// The engine behind it.
    pub fn backend(&self) -> &MemoryBackend {
        &self.backend
    }

    /// A handle to stop it.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    /// Shuts it down gracefully and waits until it stopped.
    pub async fn stop(self) -> Result<(), ServerError> {
        self.shutdown.shutdown();
        match self.task.await {
            Ok(r) => r,
            Err(e) => Err(ServerError::Serve(std::io::Error::other(e))),
        }
    }
}

fn endpoint_of(addr: SocketAddr) -> String {
    let ip = if addr.ip().is_unspecified() { std::net::IpAddr::from([127, 0, 0, 1]) } else { addr.ip() };
    match ip {
        std::net::IpAddr::V6(v6) => format!("http://[{v6}]:{}", addr.port()),
        v4 => format!("http://{v4}:{}", addr.port()),
    }
}

impl BusServer {
    /// Binds the configured address and restores the state file, if any.
    pub async fn bind(config: ServerConfig) -> Result<BusServer, ServerError> {
        let backend = MemoryBackend::builder()
            .region(config.region.clone())
            .account_id(config.account_id.clone())
            .build()
            .map_err(ServerError::Config)?;
        let registry = match &config.state_file {
            Some(path) => crate::state::load(path, &backend)?,
            None => Registry::default(),
        };
        let want = SocketAddr::new(config.host, config.port);
        let listener = TcpListener::bind(want).await.map_err(|source| ServerError::Bind { addr: want, source })?;
        let addr = listener.local_addr().map_err(|source| ServerError::Bind { addr: want, source })?;
        let (tx, rx) = watch::channel(false);
        let config = ServerConfig { port: addr.port(), ..config };
        let service = Arc::new(Service::new(backend, config, registry, rx));
        Ok(BusServer { listener, service, shutdown: Arc::new(tx), addr })
    }

    /// The address it listens on (with the real port when `0` was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its URL (`http://127.0.0.1:PORT`).
    pub fn endpoint(&self) -> String {
        endpoint_of(self.addr)
    }

    /// The engine behind it.
    pub fn backend(&self) -> &MemoryBackend {
        &self.service.backend
    }

    /// A handle to stop it.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle(self.shutdown.clone())
    }

    /// Serves until a [`ShutdownHandle`] stops it.
    pub async fn run(self) -> Result<(), ServerError> {
        self.run_until(std::future::pending::<()>()).await
    }

    /// Serves until `signal` resolves (for example `tokio::signal::ctrl_c()`) or a [`ShutdownHandle`]
    /// stops it.
    pub async fn run_until(self, signal: impl Future<Output = ()> + Send + 'static) -> Result<(), ServerError> {
        let BusServer { listener, service, shutdown, addr } = self;
        let app = crate::router::router(service.clone());
        let mut stopped = shutdown.subscribe();
        let trigger = shutdown.clone();
        tracing::info!(%addr, region = %service.config.region, account = %service.config.account_id, "bus serve listening");
        let graceful = async move {
            tokio::select! {
                () = signal => { trigger.send_replace(true); }
                _ = stopped.wait_for(|s| *s) => {}
            }
            tracing::info!("shutting down");
        };
        // Small request/response exchanges: send each answer at once (no Nagle delay).
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY");
            }
        });
        axum::serve(listener, app).with_graceful_shutdown(graceful).await.map_err(ServerError::Serve)?;
        if let Some(path) = &service.config.state_file {
            crate::state::save(path, &service.backend, &service.registry())?;
        }
        tracing::info!("stopped");
        Ok(())
    }

    /// Runs it on a new tokio task.
    pub fn spawn(self) -> RunningServer {
        let addr = self.addr;
        let shutdown = self.shutdown_handle();
        let backend = self.service.backend.clone();
        let task = tokio::spawn(self.run());
        RunningServer { addr, shutdown, task, backend }
    }
}
