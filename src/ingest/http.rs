//! A polite, patient HTTP client for cms.gov.
//!
//! Blocking reqwest with rustls (ring), a configurable User-Agent (cms.gov is reported to
//! refuse clients that do not look like browsers), connect and read timeouts, bounded
//! redirects, and retries with exponential backoff and jitter on the failures that pass:
//! connection errors, timeouts, 429 and 5xx (honouring `Retry-After`). 403, 404 and 410 are
//! answers, not accidents: they are reported at once, never retried.

use std::hash::BuildHasher;
use std::sync::Once;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// How the client behaves. Defaults suit cms.gov; tests shorten the waits.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub user_agent: String,
    pub connect_timeout: Duration,
    /// Longest wait for the response head or for any chunk of the body.
    pub read_timeout: Duration,
    pub max_redirects: usize,
    /// Attempts per URL, the first included.
    pub max_attempts: u32,
    /// First backoff delay; doubled each retry, with jitter, up to `max_backoff`.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            user_agent: format!(
                "Mozilla/5.0 (compatible; mpfs/{}; Medicare fee schedule pipeline)",
                env!("CARGO_PKG_VERSION")
            ),
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(60),
            max_redirects: 5,
            max_attempts: 4,
            base_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(60),
        }
    }
}

/// Why a request failed, after any retries.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{url}: HTTP {status}{hint} (not retried)")]
    Refused {
        url: String,
        status: StatusCode,
        hint: &'static str,
    },
    #[error("{url}: HTTP {status} after {attempts} attempts")]
    ServerTrouble {
        url: String,
        status: StatusCode,
        attempts: u32,
    },
    #[error(
        "{url}: timed out after {attempts} attempts (connect timeout {connect:?}, read timeout {read:?})"
    )]
    TimedOut {
        url: String,
        attempts: u32,
        connect: Duration,
        read: Duration,
    },
    #[error("{url}: {reason} after {attempts} attempts")]
    Transport {
        url: String,
        reason: String,
        attempts: u32,
    },
    #[error("cannot build the HTTP client: {0}")]
    Setup(String),
}

/// The client, with its settings.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: Client,
    settings: HttpSettings,
}

static CRYPTO_PROVIDER: Once = Once::new();

impl HttpClient {
    pub fn new(settings: HttpSettings) -> Result<Self, HttpError> {
        // reqwest is built without a TLS provider of its own; ring is the one polars already
        // compiles. Installing it twice is an error we can ignore.
        CRYPTO_PROVIDER.call_once(|| {
            let _ = rustls::crypto::ring::default_provider().install_default();
        });
        let client = Client::builder()
            .user_agent(settings.user_agent.clone())
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.read_timeout)
            .redirect(reqwest::redirect::Policy::limited(settings.max_redirects))
            .build()
            .map_err(|e| HttpError::Setup(e.to_string()))?;
        Ok(HttpClient { client, settings })
    }

    pub fn settings(&self) -> &HttpSettings {
        &self.settings
    }

    /// GETs `url` with `headers`, retrying what is worth retrying. Returns any response
    /// whose status is success or 304; every other status is an error.
    pub fn get(&self, url: &str, headers: HeaderMap) -> Result<Response, HttpError> {
        let max_attempts = self.settings.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= max_attempts;
            let delay = match self.client.get(url).headers(headers.clone()).send() {
                Ok(response) => {
                    let status = response.status();
                    if status.is_success() || status == StatusCode::NOT_MODIFIED {
                        return Ok(response);
                    }
                    let retryable = status == StatusCode::TOO_MANY_REQUESTS
                        || status.is_server_error()
                        || status == StatusCode::REQUEST_TIMEOUT;
                    if !retryable {
                        return Err(HttpError::Refused {
                            url: url.to_string(),
                            status,
                            hint: match status {
                                StatusCode::FORBIDDEN => {
                                    ": the server refused this client; try --user-agent with a browser's"
                                }
                                StatusCode::NOT_FOUND | StatusCode::GONE => {
                                    ": CMS may have renamed the zip; check the release page and the catalog"
                                }
                                _ => "",
                            },
                        });
                    }
                    if last {
                        return Err(HttpError::ServerTrouble {
                            url: url.to_string(),
                            status,
                            attempts: attempt,
                        });
                    }
                    let delay = retry_after(response.headers())
                        .map(|d| d.min(self.settings.max_backoff))
                        .unwrap_or_else(|| self.backoff(attempt));
                    tracing::warn!(url, %status, attempt, ?delay, "server trouble; retrying");
                    delay
                }
                Err(error) => {
                    if last {
                        return Err(if error.is_timeout() {
                            HttpError::TimedOut {
                                url: url.to_string(),
                                attempts: attempt,
                                connect: self.settings.connect_timeout,
                                read: self.settings.read_timeout,
                            }
                        } else {
                            HttpError::Transport {
                                url: url.to_string(),
                                reason: error_chain(&error),
                                attempts: attempt,
                            }
                        });
                    }
                    let delay = self.backoff(attempt);
                    tracing::warn!(url, error = %error_chain(&error), attempt, ?delay, "request failed; retrying");
                    delay
                }
            };
            std::thread::sleep(delay);
        }
    }

    /// Exponential backoff with jitter: a random delay between half and all of
    /// `base * 2^(attempt-1)`, capped, so that many clients retrying do not stampede.
    fn backoff(&self, attempt: u32) -> Duration {
        let exponential = self
            .settings
            .base_backoff
            .saturating_mul(1 << (attempt - 1).min(16))
            .min(self.settings.max_backoff);
        let random = std::collections::hash_map::RandomState::new().hash_one(attempt);
        let fraction = 0.5 + (random % 1000) as f64 / 2000.0;
        exponential.mul_f64(fraction)
    }
}

/// `Retry-After` as seconds or as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// An error with its causes, which reqwest hides behind "error sending request".
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(
            retry_after(&headers),
            Some(Duration::ZERO),
            "a past date means now"
        );
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn backoff_grows_with_jitter_and_stays_capped() {
        let client = HttpClient::new(HttpSettings {
            base_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
            ..HttpSettings::default()
        })
        .unwrap();
        for attempt in 1..=10 {
            let delay = client.backoff(attempt);
            let full =
                Duration::from_millis(100 * (1 << (attempt - 1))).min(Duration::from_millis(500));
            assert!(
                delay >= full / 2 && delay <= full,
                "attempt {attempt}: {delay:?}"
            );
        }
    }
}
