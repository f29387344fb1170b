//! What every request handler and background task shares: the store, the keyring, the live
//! event hub, the job queue's wake-up, the driver pool and the caches in front of the store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::Notify;
use windflow_engine::driver::Driver;
use windflow_storage::{Organization, Role, Store, Target, TargetKind, Timestamp, User};

use crate::config::ServeConfig;
use crate::error::{ApiError, ApiResult};
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
    pub metrics: PrometheusHandle,
    pub auth_cache: AuthCache,
    pub list_cache: crate::list_cache::ListCache,
    pub login_limiter: LoginLimiter,
    drivers: Mutex<HashMap<String, Arc<dyn Driver>>>,
    /// Target id → the engine ID it last answered and when (`tenancy::guard_engine`).
    pub engine_ids: Mutex<HashMap<String, (String, Instant)>>,
    /// This process's worker identity in deployment leases.
    pub instance: String,
    /// Agents' links and their commands in flight.
    pub agents: Arc<crate::agents::Registry>,
}

impl App {
    pub fn new(
        config: ServeConfig,
        store: Arc<dyn Store>,
        keyring: Keyring,
        metrics: PrometheusHandle,
    ) -> Self {
        let config_heartbeat = config.agent_heartbeat;
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
            metrics,
            auth_cache: AuthCache::default(),
            list_cache: Default::default(),
            login_limiter: LoginLimiter::default(),
            drivers: Mutex::new(HashMap::new()),
            engine_ids: Mutex::new(HashMap::new()),
            instance,
            agents: Arc::new(crate::agents::Registry::new(config_heartbeat)),
        }
    }

    /// The driver for a target, connected once and reused.
    pub fn driver(&self, target: &Target) -> ApiResult<Arc<dyn Driver>> {
        let key = format!("{}|{}", target.id, target.endpoint);
        if let Some(driver) = self.drivers.lock().expect("driver pool").get(&key) {
            return Ok(driver.clone());
        }
        let driver: Arc<dyn Driver> = match target.kind {
            // A Swarm manager is a Docker engine: the container driver serves its
            // inventory and logs; deployments take the Swarm path (jobs.rs).
            TargetKind::Docker | TargetKind::Ssh | TargetKind::Swarm => {
                Arc::new(crate::remote_targets::docker_driver(&self.keyring, target)?)
            }
            TargetKind::Agent => {
                let agent_id = target.endpoint.strip_prefix("agent://").ok_or_else(|| {
                    ApiError::Unavailable(format!(
                        "target {}: {:?} is not an agent endpoint (agent://<id>)",
                        target.name, target.endpoint
                    ))
                })?;
                Arc::new(windflow_engine::agent::AgentDriver::new(Arc::new(
                    crate::agents::AgentHandle {
                        conn: self.agents.conn(agent_id, &target.name),
                    },
                )))
            }
        };
        self.drivers
            .lock()
            .expect("driver pool")
            .insert(key, driver.clone());
        Ok(driver)
    }

    pub fn forget_driver(&self, target_id: &str) {
        self.drivers
            .lock()
            .expect("driver pool")
            .retain(|k, _| !k.starts_with(&format!("{target_id}|")));
        self.engine_ids
            .lock()
            .expect("engine ids")
            .remove(target_id);
    }
}

pub fn now_ms() -> Timestamp {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
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
type CachedMembership = (Organization, Role, Instant);

/// Caches credential → principal and (organization, user) → role for a few seconds. Every
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

    pub fn membership(&self, slug: &str, user_id: &str) -> Option<(Organization, Role)> {
        let map = self.memberships.lock().expect("auth cache");
        map.get(&(slug.to_string(), user_id.to_string()))
            .filter(|(_, _, at)| at.elapsed() < CACHE_TTL)
            .map(|(o, r, _)| (o.clone(), *r))
    }

    pub fn put_membership(&self, slug: &str, user_id: &str, org: Organization, role: Role) {
        let mut map = self.memberships.lock().expect("auth cache");
        if map.len() > 10_000 {
            map.clear();
        }
        map.insert(
            (slug.to_string(), user_id.to_string()),
            (org, role, Instant::now()),
        );
    }

    /// Forgets everything: after a logout, a revocation, a password or role change.
    pub fn clear(&self) {
        self.principals.lock().expect("auth cache").clear();
        self.memberships.lock().expect("auth cache").clear();
    }
}

/// Failed logins per client address: after [`LoginLimiter::MAX`] failures in a sliding
/// minute, further attempts from that address are refused until the window moves on.
/// Successful logins are not counted.
#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginLimiter {
    pub const MAX: usize = 10;
    const WINDOW: Duration = Duration::from_secs(60);

    /// `Err(seconds to wait)` when `ip` failed too often lately.
    pub fn check(&self, ip: &str) -> Result<(), u64> {
        let mut map = self.failures.lock().expect("login limiter");
        let Some(entry) = map.get_mut(ip) else {
            return Ok(());
        };
        entry.retain(|at| at.elapsed() < Self::WINDOW);
        if entry.len() >= Self::MAX {
            let wait = Self::WINDOW.saturating_sub(entry[0].elapsed());
            return Err(wait.as_secs().max(1));
        }
        Ok(())
    }

    pub fn record_failure(&self, ip: &str) {
        let mut map = self.failures.lock().expect("login limiter");
        if map.len() > 100_000 {
            map.clear();
        }
        map.entry(ip.to_string()).or_default().push(Instant::now());
    }
}
