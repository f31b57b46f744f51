//! The connection loop. axum's own `serve` cannot drop a connection mid-request, which the
//! connection-reset fault needs, so connections are served with hyper directly: a response marked
//! [`ResetConnection`](super::gate::ResetConnection) becomes a service error, and hyper closes the
//! socket without writing anything.

use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::Service;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

use super::gate::ResetConnection;

#[derive(Debug)]
struct ConnectionReset;

impl std::fmt::Display for ConnectionReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by fault injection")
    }
}

impl std::error::Error for ConnectionReset {}

/// Stops the accept loop when told to or when dropped.
pub(super) struct ServerHandle {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl ServerHandle {
    pub(super) async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

pub(super) fn serve(listener: TcpListener, router: Router) -> ServerHandle {
    let (stop_tx, mut stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        // Dropping the set at the end aborts every open connection.
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                _ = &mut stop_rx => break,
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let _ = stream.set_nodelay(true);
                    let inner = TowerToHyperService::new(router.clone());
                    connections.spawn(async move {
                        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                            let call = inner.call(request);
                            async move {
                                let response = call.await.map_err(|never| match never {})?;
                                if response.extensions().get::<ResetConnection>().is_some() {
                                    return Err(ConnectionReset);
                                }
                                Ok(response)
                            }
                        });
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
    });
    ServerHandle {
        stop: Some(stop_tx),
        task: Some(task),
    }
}
