//! Per-key token buckets for the public visitor endpoints: a script that opens thousands of
//! sessions or conversations gets a clear 429 instead of flooding the inbox. Operators'
//! endpoints are never limited here, so an attack slows nobody on the team. (Sign-in failures
//! use the same buckets: see `login_throttle`.)

use crate::error::ApiError;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

pub struct RateLimiter {
    /// Tokens added per second; 0 disables the limit.
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// `per_minute` requests a minute on average, bursts of up to `burst`; 0 = unlimited.
    pub fn new(per_minute: u32, burst: u32) -> Self {
        RateLimiter {
            per_second: per_minute as f64 / 60.0,
            burst: burst.max(1) as f64,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key`, or says how many seconds until one is free.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        self.tokens(key, true)
    }

    /// Like [`check`](Self::check) without taking the token.
    pub fn peek(&self, key: &str) -> Result<(), u64> {
        self.tokens(key, false)
    }

    fn tokens(&self, key: &str, take: bool) -> Result<(), u64> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 100_000 {
            // Forget keys that have refilled completely: they carry no information.
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < burst
            });
        }
        let (tokens, at) = buckets.entry(key.to_owned()).or_insert((self.burst, now));
        *tokens =
            (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            if take {
                *tokens -= 1.0;
            }
            Ok(())
        } else {
            Err(((1.0 - *tokens) / self.per_second).ceil() as u64)
        }
    }

    /// [`check`](Self::check) as an API error.
    pub fn guard(&self, key: &str) -> Result<(), ApiError> {
        self.check(key)
            .map_err(|secs| ApiError::too_many_requests("rate_limited", "Too many requests.", secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_then_refuses_then_refills() {
        let l = RateLimiter::new(60, 3);
        for _ in 0..3 {
            assert!(l.check("a").is_ok());
        }
        assert_eq!(l.check("a"), Err(1));
        assert!(l.check("b").is_ok(), "keys are independent");
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert!(l.check("a").is_ok());
        assert!(RateLimiter::new(0, 0).check("x").is_ok(), "0 disables");
        let l = RateLimiter::new(60, 1);
        assert!(
            l.peek("c").is_ok() && l.peek("c").is_ok(),
            "peeking takes nothing"
        );
        assert!(l.check("c").is_ok());
        assert_eq!(l.peek("c"), Err(1));
    }
}
