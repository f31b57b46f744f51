//! Clients that hold connections without sending: header and body timeouts, the connection
//! bound.

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
async fn slowloris_connections_are_closed_after_the_header_timeout() {
    let sims = sims(Account::empty()).await;
    let limits = Limits {
        header_timeout: Duration::from_millis(500),
        ..Limits::default()
    };
    let service = start_limited(&sims, limits).await;
    let started = Instant::now();
    let mut slow = Vec::new();
    for index in 0..100 {
        let mut stream = TcpStream::connect(service.addr()).await.unwrap();
        if index % 2 == 0 {
            // Half a request head, then nothing; the others send nothing at all.
            let head = "POST /integration/webhook HTTP/1.1\r\nHost: x\r\nContent-Le";
            stream.write_all(head.as_bytes()).await.unwrap();
        }
        slow.push(stream);
    }
    assert_eq!(live(&service).await, 200, "served alongside them");
    for (index, stream) in slow.iter_mut().enumerate() {
        let left = Duration::from_secs(5).saturating_sub(started.elapsed());
        assert!(
            closed_within(stream, left).await.is_some(),
            "connection {index} still open after {:?}",
            started.elapsed()
        );
    }
    let text = service.metrics().render();
    assert!(
        metric(&text, "opsgenie_port_http_timeouts_total{phase=\"header\"}") >= 50.0,
        "{text}"
    );
    assert!(
        eventually(2, || metric(
            &service.metrics().render(),
            "opsgenie_port_http_connections"
        ) == 0.0)
        .await
    );
    service.shutdown();
    service.wait().await.unwrap();
}

#[tokio::test]
async fn a_kept_alive_connection_is_closed_once_idle_for_the_header_timeout() {
    let sims = sims(Account::empty()).await;
    let limits = Limits {
        header_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let service = start_limited(&sims, limits).await;
    let mut stream = TcpStream::connect(service.addr()).await.unwrap();
    let request = format!(
        "GET /health/live HTTP/1.1\r\nHost: {}\r\n\r\n",
        service.addr()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let answer = closed_within(&mut stream, Duration::from_secs(3))
        .await
        .expect("closed after idling");
    assert!(
        String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"),
        "answered first"
    );
    service.shutdown();
    service.wait().await.unwrap();
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

#[tokio::test]
async fn connections_beyond_the_bound_wait_for_a_free_slot() {
    let sims = sims(Account::empty()).await;
    let limits = Limits {
        max_connections: 3,
        ..Limits::default()
    };
    let service = start_limited(&sims, limits).await;
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(TcpStream::connect(service.addr()).await.unwrap());
    }
    assert!(
        eventually(2, || metric(
            &service.metrics().render(),
            "opsgenie_port_http_connections"
        ) == 3.0)
        .await
    );
    let addr = service.addr();
    let waiting = tokio::spawn(async move { http(addr, "GET", "/health/live", &[], b"").await });
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(!waiting.is_finished(), "a fourth connection is not served");
    drop(idle.pop());
    let answered = tokio::time::timeout(Duration::from_secs(3), waiting)
        .await
        .expect("served once a slot freed")
        .unwrap();
    assert_eq!(answered.status, 200);
    drop(idle);
    service.shutdown();
    service.wait().await.unwrap();
}
