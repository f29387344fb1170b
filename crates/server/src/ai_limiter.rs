//! How many AI calls each organization makes: a sliding minute and the calls in flight. Held
//! by the shared `App`; `services::ai` takes a permit for every call.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{ApiError, ApiResult};

/// Calls per organization per minute.
const CALLS_PER_MINUTE: usize = 20;
/// Calls of one organization at once.
const CONCURRENT_CALLS: usize = 2;

/// Per-organization call counting: a sliding minute and the calls in flight.
#[derive(Default)]
pub struct AiLimiter {
    orgs: Mutex<HashMap<String, (VecDeque<Instant>, usize)>>,
}

/// A call in flight; dropping it frees the slot.
pub struct AiPermit<'a> {
    limiter: &'a AiLimiter,
    org: String,
}

impl Drop for AiPermit<'_> {
    fn drop(&mut self) {
        let mut orgs = self.limiter.orgs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, running)) = orgs.get_mut(&self.org) {
            *running = running.saturating_sub(1);
        }
    }
}

impl AiLimiter {
    pub fn acquire(&self, org: &str) -> ApiResult<AiPermit<'_>> {
        let mut orgs = self.orgs.lock().unwrap_or_else(|e| e.into_inner());
        let (calls, running) = orgs.entry(org.to_string()).or_default();
        let now = Instant::now();
        while calls
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
        {
            calls.pop_front();
        }
        if calls.len() >= CALLS_PER_MINUTE {
            let wait = 60
                - calls
                    .front()
                    .map_or(0, |t| now.duration_since(*t).as_secs());
            return Err(ApiError::TooManyRequests {
                retry_after: wait.max(1),
            });
        }
        if *running >= CONCURRENT_CALLS {
            return Err(ApiError::TooManyRequests { retry_after: 5 });
        }
        calls.push_back(now);
        *running += 1;
        Ok(AiPermit {
            limiter: self,
            org: org.to_string(),
        })
    }
}
