//! What every request handler and background task shares: the store, the keyring, the live
//! event hub, the job queue's wake-up, the driver pool and the caches in front of the store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::Notify;
use windflow_domain::access::Grants;
use windflow_engine::driver::Driver;
use windflow_storage::{Organization, Store, Target, Timestamp, User};

use crate::config::ServeConfig;
use crate::hub::EventHub;
use crate::secrets::Keyring;

pub type AppState = Arc<App>;

pub struct App {
    pub config: ServeConfig,
    pub store: Arc<dyn Store>,
    pub keyring: Keyring,
    pub hub: EventHub,
    /// Wakes the job workers when a deployment is queued or cancelled.
    pub jobs_wakeup: Notify,
    /// Wakes the backup workers when a backup operation is queued.
    pub backup_wakeup: Notify,
    /// Wakes the workflow workers when a run is queued, decided or cancelled.
    pub workflow_wakeup: Notify,
    pub metrics: PrometheusHandle,
    pub auth_cache: AuthCache,
    /// Login policies' second-factor requirements and who has a factor (`login_policy`).
    pub factor_cache: crate::login_policy::FactorCache,
    pub list_cache: crate::list_cache::ListCache,
    pub login_limiter: LoginLimiter,
    /// Connected drivers by target (`services::targets::driver`).
    pub drivers: DriverPool,
    /// Target id → the engine ID it last answered and when (`tenancy::guard_engine`).
    pub engine_ids: Mutex<HashMap<String, (String, Instant)>>,
    /// This process's worker identity in deployment leases.
    pub instance: String,
    /// Agents' links and their commands in flight.
    pub agents: Arc<crate::agents::Registry>,
    /// One lock per target: its gateway is configured by one deployment at a time.
    pub gateway_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// AI calls per organization: the rate and the calls in flight.
    pub ai_limiter: crate::ai_limiter::AiLimiter,
    /// OpenID providers' discovered metadata (`services::sso`).
    pub sso: crate::oidc::SsoCache,
}

impl App {
    pub fn new(
        config: ServeConfig,
        store: Arc<dyn Store>,
        keyring: Keyring,
        metrics: PrometheusHandle,
    ) -> Self {
        let config_heartbeat = config.agent_heartbeat;
        let login_limiter = LoginLimiter::new(config.lockout_for);
        let instance = format!(
            "{}-{}",
            std::process::id(),
            hex::encode(crate::secrets::random_bytes::<4>())
        );
        Self {
            config,
            store,
            keyring,
            hub: EventHub::default(),
            jobs_wakeup: Notify::new(),
            backup_wakeup: Notify::new(),
            workflow_wakeup: Notify::new(),
            metrics,
            auth_cache: AuthCache::default(),
            factor_cache: Default::default(),
            list_cache: Default::default(),
            login_limiter,
            drivers: DriverPool::default(),
            engine_ids: Mutex::new(HashMap::new()),
            instance,
            agents: Arc::new(crate::agents::Registry::new(config_heartbeat)),
            gateway_locks: Mutex::new(HashMap::new()),
            ai_limiter: Default::default(),
            sso: Default::default(),
        }
    }
}

pub use crate::stamp::{new_id, now_ms};

/// The drivers connected so far, one per target and endpoint, reused across requests.
#[derive(Default)]
pub struct DriverPool {
    drivers: Mutex<HashMap<String, Arc<dyn Driver>>>,
}

impl DriverPool {
    fn key(target: &Target) -> String {
        format!("{}|{}", target.id, target.endpoint)
    }

    pub fn get(&self, target: &Target) -> Option<Arc<dyn Driver>> {
        let drivers = self.drivers.lock().expect("driver pool");
        drivers.get(&Self::key(target)).cloned()
    }

    pub fn insert(&self, target: &Target, driver: Arc<dyn Driver>) {
        let mut drivers = self.drivers.lock().expect("driver pool");
        drivers.insert(Self::key(target), driver);
    }

    /// Drops the target's drivers (after its endpoint, keys or trust changed).
    pub fn forget(&self, target_id: &str) {
        let prefix = format!("{target_id}|");
        let mut drivers = self.drivers.lock().expect("driver pool");
        drivers.retain(|key, _| !key.starts_with(&prefix));
    }
}

/// Who a credential belongs to, cached so a request costs no store round trip for it.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub token: Option<TokenGrant>,
    pub session: Option<SessionGrant>,
}

#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub write: bool,
}

#[derive(Debug, Clone)]
pub struct SessionGrant {
    pub id_hash: String,
    pub csrf_token: String,
    pub expires_at: Timestamp,
}

const CACHE_TTL: Duration = Duration::from_secs(10);

/// (organization slug, user id).
type MembershipKey = (String, String);
type CachedMembership = (Organization, Arc<Grants>, Instant);

/// Caches credential → principal and (organization, user) → role and grants for a few
/// seconds. Every
/// change to a credential, a user or a membership clears it, so revocations take effect at
/// once in this process.
#[derive(Default)]
pub struct AuthCache {
    principals: Mutex<HashMap<String, (Principal, Instant)>>,
    memberships: Mutex<HashMap<MembershipKey, CachedMembership>>,
}

impl AuthCache {
    pub fn principal(&self, credential_hash: &str) -> Option<Principal> {
        let map = self.principals.lock().expect("auth cache");
        map.get(credential_hash)
            .filter(|(p, at)| {
                at.elapsed() < CACHE_TTL
                    && p.session.as_ref().is_none_or(|s| s.expires_at > now_ms())
            })
            .map(|(p, _)| p.clone())
    }

    pub fn put_principal(&self, credential_hash: &str, principal: Principal) {
        let mut map = self.principals.lock().expect("auth cache");
        if map.len() > 10_000 {
            map.clear();
        }
        map.insert(credential_hash.to_string(), (principal, Instant::now()));
    }

    pub fn membership(&self, slug: &str, user_id: &str) -> Option<(Organization, Arc<Grants>)> {
        let map = self.memberships.lock().expect("auth cache");
        map.get(&(slug.to_string(), user_id.to_string()))
            .filter(|(_, _, at)| at.elapsed() < CACHE_TTL)
            .map(|(o, g, _)| (o.clone(), g.clone()))
    }

    pub fn put_membership(
        &self,
        slug: &str,
        user_id: &str,
        org: Organization,
        grants: Arc<Grants>,
    ) {
        let mut map = self.memberships.lock().expect("auth cache");
        if map.len() > 10_000 {
            map.clear();
        }
        map.insert(
            (slug.to_string(), user_id.to_string()),
            (org, grants, Instant::now()),
        );
    }

    /// Forgets everything: after a logout, a revocation, a password or role change.
    pub fn clear(&self) {
        self.principals.lock().expect("auth cache").clear();
        self.memberships.lock().expect("auth cache").clear();
    }
}

/// Failed logins, counted so that an attacker locks out only themselves:
/// - per client address: after [`LoginLimiter::PER_ADDRESS`] failures in a sliding minute,
///   every login from that address is refused until the window moves on;
/// - per (account, address): after [`LoginLimiter::PER_PAIR`] failures within the lockout
///   period, that address may not try that account until the period has passed since its last
///   failure — the account's owner, from another address, still logs in;
/// - per account, from every address: past [`LoginLimiter::ACCOUNT_FREE`] failures within the
///   lockout period, each attempt on the account waits a delay that doubles with every further
///   failure up to [`LoginLimiter::MAX_DELAY`]. This bounds a brute force spread over many
///   addresses without locking the owner out.
///
/// Accounts are keyed by the name tried (lowercased), known or not, so the answers do not
/// tell who exists. Successful logins are not counted; one clears its (account, address).
pub struct LoginLimiter {
    lockout: Duration,
    inner: Mutex<LimiterMaps>,
}

#[derive(Default)]
struct LimiterMaps {
    by_address: HashMap<String, Vec<Instant>>,
    by_pair: HashMap<(String, String), Vec<Instant>>,
    by_account: HashMap<String, Vec<Instant>>,
}

impl LoginLimiter {
    pub const PER_ADDRESS: usize = 10;
    pub const PER_PAIR: usize = 5;
    pub const ACCOUNT_FREE: usize = 20;
    pub const MAX_DELAY: Duration = Duration::from_secs(5);
    const ADDRESS_WINDOW: Duration = Duration::from_secs(60);
    const FIRST_DELAY: Duration = Duration::from_millis(250);
    /// Entries kept per map before the oldest information is dropped wholesale.
    const CAPACITY: usize = 100_000;

    pub fn new(lockout: Duration) -> Self {
        Self {
            lockout,
            inner: Mutex::default(),
        }
    }

    /// May `ip` try to log in as `account` now? `Ok(delay)`: yes, after waiting `delay` (the
    /// account's progressive delay, usually zero); `Err(seconds)`: refused for that long.
    pub fn check(&self, account: &str, ip: &str) -> Result<Duration, u64> {
        let mut maps = self.inner.lock().expect("login limiter");
        let account = account.to_lowercase();
        if let Some(failures) = maps.by_address.get_mut(ip) {
            failures.retain(|at| at.elapsed() < Self::ADDRESS_WINDOW);
            if failures.len() >= Self::PER_ADDRESS {
                let wait = Self::ADDRESS_WINDOW.saturating_sub(failures[0].elapsed());
                return Err(wait.as_secs().max(1));
            }
        }
        let lockout = self.lockout;
        if let Some(failures) = maps.by_pair.get_mut(&(account.clone(), ip.to_string())) {
            failures.retain(|at| at.elapsed() < lockout);
            if failures.len() >= Self::PER_PAIR {
                let last = failures[failures.len() - 1];
                return Err(lockout.saturating_sub(last.elapsed()).as_secs().max(1));
            }
        }
        let recent = maps.by_account.get_mut(&account).map_or(0, |failures| {
            failures.retain(|at| at.elapsed() < lockout);
            failures.len()
        });
        Ok(Self::delay(recent))
    }

    /// The wait before an attempt on an account with `recent` failures.
    fn delay(recent: usize) -> Duration {
        if recent < Self::ACCOUNT_FREE {
            return Duration::ZERO;
        }
        let doublings = (recent - Self::ACCOUNT_FREE).min(16) as u32;
        Self::FIRST_DELAY
            .saturating_mul(1 << doublings)
            .min(Self::MAX_DELAY)
    }

    pub fn record_failure(&self, account: &str, ip: &str) {
        let mut maps = self.inner.lock().expect("login limiter");
        let account = account.to_lowercase();
        let now = Instant::now();
        if maps.by_address.len() > Self::CAPACITY
            || maps.by_pair.len() > Self::CAPACITY
            || maps.by_account.len() > Self::CAPACITY
        {
            *maps = LimiterMaps::default();
        }
        maps.by_address.entry(ip.to_string()).or_default().push(now);
        let pair = maps
            .by_pair
            .entry((account.clone(), ip.to_string()))
            .or_default();
        pair.push(now);
        if pair.len() > Self::PER_PAIR * 2 {
            pair.drain(..Self::PER_PAIR);
        }
        let per_account = maps.by_account.entry(account).or_default();
        per_account.push(now);
        // Enough to reach the longest delay; older failures add nothing.
        let keep = Self::ACCOUNT_FREE + 20;
        if per_account.len() > keep * 2 {
            per_account.drain(..keep);
        }
    }

    /// A correct password from `ip`: its failures for `account` are forgotten.
    pub fn record_success(&self, account: &str, ip: &str) {
        let mut maps = self.inner.lock().expect("login limiter");
        maps.by_pair
            .remove(&(account.to_lowercase(), ip.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attacker_locks_out_only_their_own_address() {
        let limiter = LoginLimiter::new(Duration::from_secs(900));
        for _ in 0..LoginLimiter::PER_PAIR {
            assert_eq!(limiter.check("admin", "10.0.0.9"), Ok(Duration::ZERO));
            limiter.record_failure("Admin", "10.0.0.9");
        }
        let refused = limiter.check("admin", "10.0.0.9").unwrap_err();
        assert!((800..=900).contains(&refused), "{refused}");
        assert_eq!(limiter.check("admin", "10.0.0.1"), Ok(Duration::ZERO));
        // The same address may still log in to another account…
        assert_eq!(limiter.check("alice", "10.0.0.9"), Ok(Duration::ZERO));
        // …until it fails too often overall.
        for _ in 0..LoginLimiter::PER_ADDRESS - LoginLimiter::PER_PAIR {
            limiter.record_failure("alice", "10.0.0.9");
        }
        assert!(limiter.check("bob", "10.0.0.9").is_err());
        assert_eq!(limiter.check("bob", "10.0.0.1"), Ok(Duration::ZERO));
    }

    #[test]
    fn failures_from_many_addresses_slow_the_account_down_without_locking_it() {
        let limiter = LoginLimiter::new(Duration::from_secs(900));
        for n in 0..LoginLimiter::ACCOUNT_FREE + 10 {
            limiter.record_failure("admin", &format!("10.0.{}.{}", n / 4, n % 4));
        }
        assert_eq!(
            limiter.check("admin", "192.0.2.1"),
            Ok(LoginLimiter::MAX_DELAY)
        );
        assert_eq!(
            LoginLimiter::delay(LoginLimiter::ACCOUNT_FREE - 1),
            Duration::ZERO
        );
        assert_eq!(
            LoginLimiter::delay(LoginLimiter::ACCOUNT_FREE),
            Duration::from_millis(250)
        );
        assert_eq!(
            LoginLimiter::delay(LoginLimiter::ACCOUNT_FREE + 1),
            Duration::from_millis(500)
        );
        assert_eq!(limiter.check("alice", "192.0.2.1"), Ok(Duration::ZERO));
    }

    #[test]
    fn a_success_clears_the_pair() {
        let limiter = LoginLimiter::new(Duration::from_secs(900));
        for _ in 0..LoginLimiter::PER_PAIR - 1 {
            limiter.record_failure("admin", "10.0.0.1");
        }
        limiter.record_success("admin", "10.0.0.1");
        limiter.record_failure("admin", "10.0.0.1");
        assert!(limiter.check("admin", "10.0.0.1").is_ok());
    }
}
