//! Clients that hold connections without sending: the body timeout.

use crate::support::*;
use opsgenie_port::runtime::serve::limits::Limits;
use opsgenie_port::runtime::serve::Service;
use opsgenie_port_sim::generate::Account;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the server closes the connection (or `limit` passes: `None`).
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(limit, stream.read_to_end(&mut received)).await;
    match read {
        Ok(_) => Some(received),
        Err(_) => None,
    }
}

async fn live(service: &Service) -> u16 {
    http(service.addr(), "GET", "/health/live", &[], b"")
        .await
        .status
}

#[tokio::test]
async fn a_body_that_does_not_arrive_gets_408() {
    let sims = sims(Account::empty()).await;
    let limits = Limits {
        body_timeout: Duration::from_millis(400),
        ..Limits::default()
    };
    let service = start_limited(&sims, limits).await;
    let mut stream = TcpStream::connect(service.addr()).await.unwrap();
    let head = "POST /integration/webhook HTTP/1.1\r\nHost: x\r\n\
                Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"action\":";
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let answer = closed_within(&mut stream, Duration::from_secs(3))
        .await
        .expect("answered and closed");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(2));
    let metrics = service.metrics().render();
    assert_eq!(
        metric(
            &metrics,
            "opsgenie_port_http_timeouts_total{phase=\"body\"}"
        ),
        1.0
    );
    assert_eq!(
        metric(
            &metrics,
            "opsgenie_port_webhook_events_total{action=\"unparsed\",outcome=\"timeout\"}"
        ),
        1.0
    );
    assert_eq!(live(&service).await, 200);
    service.shutdown();
    service.wait().await.unwrap();
}
