//! Brute-force protection for sign-in. Failed logins are counted per account (the normalised
//! email, whether or not it exists, so answers do not reveal accounts) and per network address,
//! in token buckets: a burst of failures, then one attempt every few seconds. While a bucket is
//! empty, sign-in answers 429 with a retry time without checking the password.
//!
//! So that guessing cannot lock a real operator out, the per-account bucket does not apply to
//! an address that signed in to that account successfully before (kept in memory for
//! [`FAMILIAR_FOR`]); the per-address bucket only slows the guessing address.

use crate::error::ApiError;
use crate::rate_limit::RateLimiter;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed sign-ins one account takes from unfamiliar addresses: a burst, then per minute.
const ACCOUNT_BURST: u32 = 10;
const ACCOUNT_PER_MINUTE: u32 = 10;
/// Failed sign-ins one address may make, over all accounts.
const ADDRESS_BURST: u32 = 20;
const ADDRESS_PER_MINUTE: u32 = 10;
/// How long a successful sign-in makes its address familiar for that account.
const FAMILIAR_FOR: Duration = Duration::from_secs(30 * 24 * 3600);
/// Familiar addresses kept per account (the most recent).
const FAMILIAR_PER_ACCOUNT: usize = 20;

pub struct LoginThrottle {
    per_account: RateLimiter,
    per_address: RateLimiter,
    /// account → address → last successful sign-in.
    familiar: Mutex<HashMap<String, HashMap<String, Instant>>>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle {
            per_account: RateLimiter::new(ACCOUNT_PER_MINUTE, ACCOUNT_BURST),
            per_address: RateLimiter::new(ADDRESS_PER_MINUTE, ADDRESS_BURST),
            familiar: Mutex::new(HashMap::new()),
        }
    }
}

/// The account key of an email as typed.
pub fn account_key(email: &str) -> String {
    email.trim().to_lowercase()
}

impl LoginThrottle {
    /// Before a password is checked: 429 while this address or (from an unfamiliar address)
    /// this account has used up its failures.
    pub fn check(&self, account: &str, address: &str) -> Result<(), ApiError> {
        let refused = |scope: &str, secs: u64, what: &str| {
            tracing::warn!(target: "frontdesk::auth", %address, scope, retry_after_secs = secs, "sign-in throttled");
            ApiError::too_many_requests("too_many_login_attempts", what, secs)
        };
        if let Err(secs) = self.per_address.peek(address) {
            return Err(refused(
                "address",
                secs,
                "Too many failed sign-ins from your network address.",
            ));
        }
        if !self.is_familiar(account, address) {
            if let Err(secs) = self.per_account.peek(account) {
                return Err(refused(
                    "account",
                    secs,
                    "Too many failed sign-ins for this account. If you forgot the password, ask an admin to reset it.",
                ));
            }
        }
        Ok(())
    }

    /// A wrong email or password: counts against the address and the account.
    pub fn failed(&self, account: &str, address: &str) {
        let _ = self.per_address.check(address);
        if !self.is_familiar(account, address) {
            let _ = self.per_account.check(account);
        }
    }

    /// A successful sign-in: this address is now familiar for this account.
    pub fn succeeded(&self, account: &str, address: &str) {
        let now = Instant::now();
        let mut familiar = self.familiar.lock().unwrap_or_else(|p| p.into_inner());
        if familiar.len() > 100_000 {
            familiar.retain(|_, addrs| {
                addrs.retain(|_, at| now.duration_since(*at) < FAMILIAR_FOR);
                !addrs.is_empty()
            });
        }
        let addrs = familiar.entry(account.to_owned()).or_default();
        addrs.insert(address.to_owned(), now);
        if addrs.len() > FAMILIAR_PER_ACCOUNT {
            if let Some(oldest) = addrs
                .iter()
                .min_by_key(|(_, at)| **at)
                .map(|(a, _)| a.clone())
            {
                addrs.remove(&oldest);
            }
        }
    }

    fn is_familiar(&self, account: &str, address: &str) -> bool {
        let familiar = self.familiar.lock().unwrap_or_else(|p| p.into_inner());
        familiar
            .get(account)
            .and_then(|addrs| addrs.get(address))
            .is_some_and(|at| at.elapsed() < FAMILIAR_FOR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_throttle_the_account_except_from_a_familiar_address() {
        let t = LoginThrottle::default();
        t.succeeded("ann@example.com", "10.0.0.1");
        for _ in 0..ACCOUNT_BURST {
            assert!(t.check("ann@example.com", "10.0.0.2").is_ok());
            t.failed("ann@example.com", "10.0.0.2");
        }
        let e = t.check("ann@example.com", "10.0.0.3").unwrap_err();
        assert_eq!(e.code, "too_many_login_attempts");
        assert!(e.retry_after_secs.is_some_and(|s| s >= 1));
        assert!(
            t.check("ann@example.com", "10.0.0.1").is_ok(),
            "familiar address"
        );
        assert!(
            t.check("bob@example.com", "10.0.0.3").is_ok(),
            "other accounts"
        );
    }
}
