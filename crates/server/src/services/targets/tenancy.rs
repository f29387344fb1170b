//! Which organization an engine belongs to. Several targets can reach one Docker engine (a
//! socket, TCP, SSH, an agent); the engine's own ID (`docker info` → `ID`) tells them apart
//! from the endpoint text, which proves nothing (a `tcp://` name can be re-pointed).
//!
//! A successful check records the ID on the target (`config.engine = {id, since}`, `since`
//! being when this target first reached that engine). **One engine belongs to one
//! organization**: the organization whose target reached it first. A target of another
//! organization that reaches it later is refused — at registration and before every
//! deployment or container call — unless a server administrator shared the engine with it
//! (`config.shared`, set only through the server-admin-only `shared` flag of the target API).
//!
//! *Invariant:* nothing here trusts the endpoint; only the engine's answer counts, and it is
//! asked again before each deployment (container calls reuse an answer for
//! [`ENGINE_ID_TTL`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use windflow_engine::driver::Driver;
use windflow_storage::{PageRequest, Target};

use super::config::{EngineClaim, TargetConfig};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::{App, now_ms};

/// How long container calls reuse an engine's answer to "who are you".
pub const ENGINE_ID_TTL: Duration = Duration::from_secs(10);

/// How long an engine may take to say who it is.
const INFO_TIMEOUT: Duration = Duration::from_secs(10);

/// The engine ID recorded on a target, and since when (ms) the target reaches it.
pub fn recorded_engine(target: &Target) -> Option<(String, i64)> {
    Claim::of(target).engine
}

/// What a target says of its engine, read once from its config: whether a server
/// administrator shared it, and the engine it reaches and since when.
struct Claim<'a> {
    target: &'a Target,
    shared: bool,
    engine: Option<(String, i64)>,
}

impl<'a> Claim<'a> {
    fn of(target: &'a Target) -> Self {
        let config = TargetConfig::of(target);
        Claim {
            target,
            shared: config.shared,
            engine: config
                .engine
                .filter(|claim| !claim.id.is_empty())
                .map(|claim| (claim.id, claim.since)),
        }
    }

    fn reaches(&self, engine_id: &str) -> bool {
        self.engine.as_ref().is_some_and(|(id, _)| id == engine_id)
    }
}

/// How an organization stands on a target's engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineTenancy {
    /// No target of another organization reaches this engine: everything on it is the
    /// organization's (images, for one).
    pub exclusive: bool,
}

/// The target of another organization that owns `engine_id`, if `target` is not shared: the
/// engine belongs to the organization of the first unshared target that reached it (shared
/// targets are exceptions an administrator granted, they own nothing). `target` need not be
/// recorded yet (then every recorded target came first).
fn engine_owner<'a>(me: &Claim<'_>, engine_id: &str, all: &[Claim<'a>]) -> Option<&'a Target> {
    if me.shared {
        return None;
    }
    let target = me.target;
    let mine = match &me.engine {
        Some((id, since)) if id == engine_id => *since,
        _ => i64::MAX,
    };
    all.iter()
        .filter(|c| c.target.id != target.id && !c.shared)
        .filter_map(|c| {
            let (id, since) = c.engine.as_ref()?;
            (id == engine_id && (*since, c.target.id.as_str()) < (mine, target.id.as_str()))
                .then_some((*since, c.target))
        })
        .min_by_key(|(since, t)| (*since, t.id.clone()))
        .map(|(_, t)| t)
        .filter(|first| first.org_id != target.org_id)
}

/// What a refused organization is told when it may not know who owns the engine.
pub const ENGINE_TAKEN: &str = "this engine is already registered by another organization; a server administrator can share it";

/// Records `engine_id` on the target when it is new or changed (the target now reaches
/// another engine, so `since` starts again). Returns the target as stored.
pub async fn record_engine(app: &App, target: &Target, engine_id: &str) -> ApiResult<Target> {
    if engine_id.is_empty() || Claim::of(target).reaches(engine_id) {
        return Ok(target.clone());
    }
    // Re-read, so a change made since `target` was read (sharing, a pinned host key) stays.
    let target = app
        .store
        .get_target_by_id(&target.org_id, &target.id)
        .await?;
    if Claim::of(&target).reaches(engine_id) {
        return Ok(target);
    }
    let mut config = TargetConfig::of(&target);
    config.engine = Some(EngineClaim {
        id: engine_id.to_string(),
        since: now_ms(),
    });
    let stored = app
        .store
        .set_target_config(&target.org_id, &target.name, config.to_value())
        .await?;
    tracing::info!(target = %target.name, engine_id, "the target reaches a new engine");
    Ok(stored)
}

/// Asks the target's engine who it is (or reuses an answer younger than
/// [`ENGINE_ID_TTL`] unless `fresh`), records it, and refuses (409) when the engine
/// belongs to another organization. `caller` decides whether the answer may name it.
pub async fn guard_engine(
    app: &App,
    target: &Target,
    driver: &Arc<dyn Driver>,
    fresh: bool,
    caller: Option<&Caller>,
) -> ApiResult<EngineTenancy> {
    let cached = (!fresh)
        .then(|| {
            app.engine_ids
                .lock()
                .expect("engine ids")
                .get(&target.id)
                .cloned()
        })
        .flatten()
        .filter(|(_, at)| at.elapsed() < ENGINE_ID_TTL)
        .map(|(id, _)| id);
    let engine_id = match cached {
        Some(id) => id,
        None => {
            let info = tokio::time::timeout(INFO_TIMEOUT, driver.info())
                .await
                .map_err(|_| {
                    ApiError::Unavailable(format!(
                        "target {}: no answer within {} s",
                        target.name,
                        INFO_TIMEOUT.as_secs()
                    ))
                })?
                .map_err(|e| ApiError::Unavailable(format!("target {}: {e}", target.name)))?;
            app.engine_ids.lock().expect("engine ids").insert(
                target.id.clone(),
                (info.engine_id.clone().unwrap_or_default(), Instant::now()),
            );
            info.engine_id.unwrap_or_default()
        }
    };
    if engine_id.is_empty() {
        // An engine that does not say who it is cannot be told apart: it is the
        // organization's alone only if nothing else is known of it.
        return Ok(EngineTenancy { exclusive: false });
    }
    let target = record_engine(app, target, &engine_id).await?;
    engine_tenancy(app, &target, &engine_id, caller).await
}

/// 409 when another organization owns `engine_id` before `target`; else whether the
/// organization has the engine to itself.
pub async fn engine_tenancy(
    app: &App,
    target: &Target,
    engine_id: &str,
    caller: Option<&Caller>,
) -> ApiResult<EngineTenancy> {
    let all = app.store.list_all_targets().await?;
    let claims: Vec<Claim<'_>> = all.iter().map(Claim::of).collect();
    if let Some(owner) = engine_owner(&Claim::of(target), engine_id, &claims) {
        let message = match owner_name_for(app, caller, owner).await? {
            Some(name) => format!(
                "this engine (ID {engine_id}) is already registered by {name}; a server administrator can share it (`shared: true`)"
            ),
            None => ENGINE_TAKEN.to_string(),
        };
        return Err(ApiError::Conflict {
            message,
            field: None,
        });
    }
    let exclusive = !claims
        .iter()
        .any(|c| c.target.org_id != target.org_id && c.reaches(engine_id));
    Ok(EngineTenancy { exclusive })
}

/// "organization `x`'s target `y`" when the caller may know of it (a server administrator
/// or a member of that organization), else `None`.
async fn owner_name_for(
    app: &App,
    caller: Option<&Caller>,
    owner: &Target,
) -> ApiResult<Option<String>> {
    let Some(caller) = caller else {
        return Ok(None);
    };
    let slug = if caller.user.is_admin {
        app.store
            .list_organizations(PageRequest::new(10_000, 0))
            .await?
            .items
            .into_iter()
            .find(|o| o.id == owner.org_id)
            .map(|o| o.slug)
    } else {
        app.store
            .list_user_organizations(&caller.user.id)
            .await?
            .into_iter()
            .find(|(o, _)| o.id == owner.org_id)
            .map(|(o, _)| o.slug)
    };
    Ok(slug.map(|slug| format!("organization {slug}'s target {}", owner.name)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use windflow_storage::{TargetKind, TargetStatus};

    fn target(id: &str, org: &str, engine: Option<(&str, i64)>, shared: bool) -> Target {
        let config = TargetConfig {
            engine: engine.map(|(id, since)| EngineClaim {
                id: id.into(),
                since,
            }),
            shared,
            ..TargetConfig::default()
        };
        Target {
            id: id.into(),
            org_id: org.into(),
            environment_id: None,
            name: id.into(),
            kind: TargetKind::Docker,
            endpoint: "tcp://engine:2375".into(),
            labels: Default::default(),
            config: config.to_value(),
            status: TargetStatus::Up,
            info: None,
            checked_at: None,
            created_at: 0,
        }
    }

    fn check(me: &Target, all: &[Target], expected_owner: Option<&str>) {
        let claims: Vec<Claim<'_>> = all.iter().map(Claim::of).collect();
        let owner = engine_owner(&Claim::of(me), "E", &claims).map(|t| t.id.as_str());
        assert_eq!(owner, expected_owner, "owner of E for {}", me.id);
    }

    #[test]
    fn the_first_organization_to_reach_an_engine_owns_it() {
        let a = target("a", "A", Some(("E", 10)), false);
        let a2 = target("a2", "A", Some(("E", 30)), false);
        let b = target("b", "B", Some(("E", 20)), false);
        let new_b = target("new-b", "B", None, false);
        let other = target("c", "C", Some(("F", 1)), false);
        let all = [a.clone(), a2.clone(), b.clone(), other];
        check(&a, &all, None);
        // A second target of the owner is its own business.
        check(&a2, &all, None);
        check(&b, &all, Some("a"));
        // Not recorded yet (registration): every recorded target came first.
        check(&new_b, &all, Some("a"));
    }

    #[test]
    fn a_shared_target_is_never_refused_and_owns_nothing() {
        let a = target("a", "A", Some(("E", 10)), false);
        let b = target("b", "B", Some(("E", 5)), true);
        let c = target("c", "C", Some(("E", 20)), false);
        let all = [a.clone(), b.clone(), c.clone()];
        check(&b, &all, None);
        // b reached E first, but shared by an administrator: the engine is still a's.
        check(&a, &all, None);
        check(&c, &all, Some("a"));
    }

    #[test]
    fn a_re_pointed_target_starts_again_as_the_latest() {
        // c reached E only now (its endpoint was re-pointed): a owns E.
        let a = target("a", "A", Some(("E", 10)), false);
        let c = target("c", "C", Some(("F", 1)), false);
        check(&c, &[a.clone(), c.clone()], Some("a"));
    }
}
