//! Organizations' second-factor requirement, checked on every organization request
//! ([`enforce`], called once by `auth::OrgAccess`), with [`FactorCache`] in front of the store
//! so the check costs no round trip. Managing factors and policies is `services::factors`;
//! this module is apart from it so that `auth` does not import a service that imports `auth`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use windflow_storage::{Organization, Role, SecondFactorRequirement, Store};

use crate::error::{ApiError, ApiResult};

const CACHE_TTL: Duration = Duration::from_secs(10);
const MAX_ENTRIES: usize = 10_000;

/// Organization → its second-factor requirement and user → whether they have a confirmed
/// factor, for a few seconds. Every change to a factor or a policy in this process clears it
/// (`services::factors`); another instance sees a change within the TTL.
#[derive(Default)]
pub struct FactorCache {
    requirements: Mutex<HashMap<String, (SecondFactorRequirement, Instant)>>,
    enrolled: Mutex<HashMap<String, (bool, Instant)>>,
}

impl FactorCache {
    pub fn clear(&self) {
        self.requirements.lock().expect("factor cache").clear();
        self.enrolled.lock().expect("factor cache").clear();
    }
}

fn cached<V: Copy>(map: &Mutex<HashMap<String, (V, Instant)>>, key: &str) -> Option<V> {
    let map = map.lock().expect("factor cache");
    map.get(key)
        .filter(|(_, at)| at.elapsed() < CACHE_TTL)
        .map(|(v, _)| *v)
}

fn remember<V>(map: &Mutex<HashMap<String, (V, Instant)>>, key: &str, value: V) {
    let mut map = map.lock().expect("factor cache");
    if map.len() > MAX_ENTRIES {
        map.clear();
    }
    map.insert(key.to_string(), (value, Instant::now()));
}

/// Whether `requirement` concerns a member with `role`.
pub fn applies(requirement: SecondFactorRequirement, role: Role) -> bool {
    match requirement {
        SecondFactorRequirement::None => false,
        SecondFactorRequirement::Admins => role >= Role::Admin,
        SecondFactorRequirement::All => true,
    }
}

/// Whether the user has a confirmed second factor (a pending enrolment does not count).
pub async fn has_confirmed_factor(
    cache: &FactorCache,
    store: &dyn Store,
    user_id: &str,
) -> ApiResult<bool> {
    if let Some(enrolled) = cached(&cache.enrolled, user_id) {
        return Ok(enrolled);
    }
    let enrolled = store
        .get_totp_factor(user_id)
        .await?
        .is_some_and(|f| f.confirmed_at.is_some())
        || !store.list_passkeys(user_id).await?.is_empty();
    remember(&cache.enrolled, user_id, enrolled);
    Ok(enrolled)
}

async fn requirement_of(
    cache: &FactorCache,
    store: &dyn Store,
    org_id: &str,
) -> ApiResult<SecondFactorRequirement> {
    if let Some(requirement) = cached(&cache.requirements, org_id) {
        return Ok(requirement);
    }
    let requirement = store
        .get_login_policy(org_id)
        .await?
        .map(|p| p.require_second_factor)
        .unwrap_or_default();
    remember(&cache.requirements, org_id, requirement);
    Ok(requirement)
}

/// `403 second-factor-enrolment-required` when `org`'s login policy wants a second factor from
/// a member with `role` and the user has none confirmed. The enrolment endpoints are not
/// organization requests, so they stay reachable.
pub async fn enforce(
    cache: &FactorCache,
    store: &dyn Store,
    user_id: &str,
    org: &Organization,
    role: Role,
) -> ApiResult<()> {
    let requirement = requirement_of(cache, store, &org.id).await?;
    if !applies(requirement, role) || has_confirmed_factor(cache, store, user_id).await? {
        return Ok(());
    }
    Err(ApiError::SecondFactorEnrolmentRequired(format!(
        "organization {} requires a second factor for {}: enrol one with POST \
         /api/v1/auth/factors/totp (the console's Second factor page), then retry",
        org.slug,
        match requirement {
            SecondFactorRequirement::Admins => "its admins and owners",
            _ => "every member",
        }
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_applies_by_role() {
        use SecondFactorRequirement::*;
        assert!(!applies(None, Role::Owner));
        assert!(applies(Admins, Role::Admin) && applies(Admins, Role::Owner));
        assert!(!applies(Admins, Role::Operator));
        assert!(applies(All, Role::Viewer));
    }
}
