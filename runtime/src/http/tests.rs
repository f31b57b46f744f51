use super::*;

/// A client with one request in flight, unpaced, making at most `attempts` attempts at once.
fn test_client(attempts: u32) -> HttpClient {
    HttpClient::new(HttpOptions {
        timeout: Duration::from_secs(5),
        concurrency: 1,
        retry: RetryPolicy::fast(attempts),
        user_agent: "test".into(),
        pacing: Pacing::Off,
        kinds: RequestKinds::SINGLE,
    })
    .expect("client")
}

/// A loopback port nothing listens on: every connection is refused.
fn refused_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port()
}

#[test]
fn one_line_flattens_and_truncates() {
    assert_eq!(one_line("a\n  b\tc", 10), "a b c");
    assert_eq!(one_line("abcdef", 3), "abc…");
}

#[test]
fn error_text_prefers_message_and_masks() {
    secret::register(&secret::Secret::new("leaky-token-998877"));
    let reply = Reply {
        status: 422,
        headers: HeaderMap::new(),
        body: serde_json::json!({"ok": false, "error": "invalid_request",
                                 "message": "bad key leaky-token-998877"}),
    };
    assert_eq!(reply.error_text(), "bad key [REDACTED]");
    let reply = Reply {
        status: 404,
        headers: HeaderMap::new(),
        body: serde_json::json!({"ok": false, "error": "not_found"}),
    };
    assert_eq!(reply.error_text(), "not_found");
}

#[test]
fn request_debug_hides_header_values() {
    let request = Request::get("http://x").header("authorization", "GenieKey hidden-123");
    let printed = format!("{request:?}");
    assert!(printed.contains("authorization") && !printed.contains("hidden-123"));
}

#[test]
fn a_request_failing_again_is_logged_as_a_warning_with_the_url_masked() {
    use crate::logging::{subscriber, CaptureWriter, LogFormat, LogOptions};
    secret::register(&secret::Secret::new("retry-log-secret-5151"));
    // A port nothing listens on: every attempt is refused.
    let port = refused_port();
    let client = test_client(3);
    let capture = CaptureWriter::new();
    let options = LogOptions {
        level: "DEBUG".into(),
        format: LogFormat::Json,
    };
    let error = tracing::subscriber::with_default(subscriber(&options, capture.clone()), || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let url = format!("http://127.0.0.1:{port}/v1/x?key=retry-log-secret-5151");
        runtime.block_on(client.send(&Request::get(url)))
    })
    .expect_err("nothing listens");
    assert_eq!((error.kind, error.attempts), (HttpErrorKind::Transport, 3));
    let lines: Vec<serde_json::Value> = capture
        .contents()
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("JSON line"))
        .filter(|line| line["target"] == "opsgenie_port_runtime::http")
        .collect();
    let levels: Vec<&str> = lines.iter().filter_map(|l| l["level"].as_str()).collect();
    // Two retries: the first is routine, the second means the trouble persists.
    assert_eq!(levels, ["DEBUG", "WARN"], "{lines:?}");
    assert_eq!(lines[1]["message"], "request still failing, retrying");
    assert_eq!(lines[1]["attempt"], 2);
    assert_eq!(lines[1]["max_attempts"], 3);
    let text = capture.contents();
    assert!(!text.contains("retry-log-secret-5151"), "{text}");
    assert!(text.contains(&format!("127.0.0.1:{port}/v1/x")), "{text}");
}

#[test]
fn answers_longer_than_the_cap_are_not_read() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
    let port = listener.local_addr().expect("address").port();
    // Two answers: one announcing more than the client reads, one chunked and too long.
    std::thread::spawn(move || {
        for body in [None, Some(vec![b' '; 3000])] {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let answer = match &body {
                None => format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{{}}",
                    MAX_RESPONSE_BYTES + 1
                )
                .into_bytes(),
                Some(body) => {
                    let mut answer =
                        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
                    for chunk in body.chunks(500) {
                        answer.extend(format!("{:x}\r\n", chunk.len()).into_bytes());
                        answer.extend(chunk);
                        answer.extend(b"\r\n");
                    }
                    answer.extend(b"0\r\n\r\n");
                    answer
                }
            };
            let _ = stream.write_all(&answer);
        }
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = test_client(1);
    let url = format!("http://127.0.0.1:{port}/v1/x");
    let error = runtime
        .block_on(client.send(&Request::get(url.clone())))
        .expect_err("too large");
    assert_eq!(error.kind, HttpErrorKind::MalformedBody, "{error}");
    assert!(error.detail.contains("larger than"), "{error}");
    let response = runtime
        .block_on(reqwest::get(url))
        .expect("the chunked answer");
    let read = runtime.block_on(read_capped(response, 2000)).expect("read");
    assert!(read.expect_err("over the cap").contains("2000"));
}

#[test]
fn a_request_that_cannot_be_sent_is_not_retried() {
    let client = test_client(5);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // Not a URL: it would fail the same way on every attempt.
    let error = runtime
        .block_on(client.send(&Request::get("http://a host/v1/x".to_owned())))
        .expect_err("cannot be sent");
    assert_eq!(
        (&error.kind, error.attempts),
        (&HttpErrorKind::Request, 1),
        "{error}"
    );
}

#[test]
fn a_password_in_the_url_is_in_no_retry_warning_and_no_error() {
    use crate::logging::{subscriber, CaptureWriter, LogFormat, LogOptions};
    let port = refused_port();
    let client = test_client(3);
    let capture = CaptureWriter::new();
    let options = LogOptions {
        level: "DEBUG".into(),
        format: LogFormat::Json,
    };
    // Never registered as a secret: only its place in the URL gives it away.
    let url = format!("https://deploy:userinfo-pass-7272@127.0.0.1:{port}/v1/integration/x");
    let request = Request::json(Method::PATCH, url, &serde_json::json!({})).retryable(true);
    let error = tracing::subscriber::with_default(subscriber(&options, capture.clone()), || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(client.send(&request))
    })
    .expect_err("nothing listens");
    let logs = capture.contents();
    assert!(logs.contains("request still failing, retrying"), "{logs}");
    for text in [logs.as_str(), &error.to_string(), &format!("{request:?}")] {
        assert!(!text.contains("userinfo-pass-7272"), "{text}");
        assert!(!text.contains("deploy:"), "{text}");
        assert!(
            text.contains(&format!(
                "https://[REDACTED]@127.0.0.1:{port}/v1/integration/x"
            )),
            "{text}"
        );
    }
}

#[test]
fn only_post_and_patch_default_to_not_retryable() {
    assert!(Request::get("http://x").retryable);
    assert!(Request::new(Method::DELETE, "http://x").retryable);
    assert!(!Request::new(Method::POST, "http://x").retryable);
    assert!(!Request::new(Method::PATCH, "http://x").retryable);
    assert!(
        Request::new(Method::POST, "http://x")
            .retryable(true)
            .retryable
    );
}
