//! A tiny HTTP/1.1 server on 127.0.0.1 with full control over faults: it can answer any
//! status, cut a body short of its Content-Length, or stall. Each connection gets one
//! response and is closed. It serves a bounded number of connections, then stops.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The most connections one test server accepts before it stops by itself.
const MAX_CONNECTIONS: usize = 200;

#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub enum Reply {
    Full {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    },
    /// Announce `announced` bytes, send `body` (fewer), then close.
    CutShort { announced: usize, body: Vec<u8> },
    /// Send nothing for this long, then close.
    Stall(Duration),
}

impl Reply {
    pub fn ok(body: Vec<u8>) -> Reply {
        Reply::Full {
            status: 200,
            headers: vec![],
            body,
        }
    }

    pub fn status(status: u16) -> Reply {
        Reply::Full {
            status,
            headers: vec![],
            body: format!("status {status}").into_bytes(),
        }
    }
}

/// `handler(request, n)` answers the `n`th request (0-based) for that request's path.
type Handler = dyn Fn(&Request, usize) -> Reply + Send + Sync;

pub struct TestServer {
    port: u16,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl TestServer {
    pub fn start(handler: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&requests);
        let handler: Arc<Handler> = Arc::new(handler);
        std::thread::spawn(move || {
            for stream in listener.incoming().take(MAX_CONNECTIONS) {
                let Ok(stream) = stream else { continue };
                let recorded = Arc::clone(&recorded);
                let handler = Arc::clone(&handler);
                std::thread::spawn(move || serve(stream, &recorded, &*handler));
            }
        });
        TestServer { port, requests }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn requests_for(&self, path: &str) -> Vec<Request> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }
}

fn serve(stream: TcpStream, recorded: &Mutex<Vec<Request>>, handler: &Handler) {
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.trim_end().split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let request = Request { path, headers };
    let nth = {
        let mut all = recorded.lock().unwrap();
        let nth = all.iter().filter(|r| r.path == request.path).count();
        all.push(request.clone());
        nth
    };
    let mut stream = reader.into_inner();
    let reply = handler(&request, nth);
    let _ = match reply {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} {}\r\nContent-Length: {}\r\nConnection: close\r\n",
                reason(status),
                body.len()
            );
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            stream
                .write_all(head.as_bytes())
                .and_then(|_| stream.write_all(&body))
        }
        Reply::CutShort { announced, body } => stream
            .write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {announced}\r\nConnection: close\r\n\r\n"
                )
                .as_bytes(),
            )
            .and_then(|_| stream.write_all(&body)),
        Reply::Stall(duration) => {
            std::thread::sleep(duration);
            Ok(())
        }
    };
    let _ = stream.flush();
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        304 => "Not Modified",
        403 => "Forbidden",
        404 => "Not Found",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
