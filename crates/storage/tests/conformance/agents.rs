//! Agent enrollment and revocation (`AgentStore`).

use super::*;

pub(crate) async fn agents_enroll_once_and_revoke(store: &dyn Store) {
    let w = world(store).await;
    let other = org(store, "other").await;
    let env = environment(store, &w.org.id, "edge").await;
    let mut labels = serde_json::Map::new();
    labels.insert("site".into(), serde_json::json!("berlin"));
    let enrollment = |hash: &str, name: &str, expires_at: Timestamp| NewAgentEnrollment {
        id: id("enr"),
        org_id: w.org.id.clone(),
        hash: hash.into(),
        target_name: name.into(),
        environment_id: Some(env.id.clone()),
        labels: labels.clone(),
        created_by: w.alice.id.clone(),
        expires_at,
        created_at: 1_000,
    };
    store
        .create_agent_enrollment(enrollment("h-ok", "edge-1", 10_000))
        .await
        .unwrap();
    store
        .create_agent_enrollment(enrollment("h-old", "edge-2", 2_000))
        .await
        .unwrap();
    store
        .create_agent_enrollment(enrollment("h-dup", "local", 10_000))
        .await
        .unwrap();
    let new_agent = |cred: &str| NewAgent {
        id: id("agent"),
        target_id: id("target"),
        credential_hash: cred.into(),
        version: Some("0.1.0".into()),
        created_at: 3_000,
    };

    let (agent, target) = store
        .enroll_agent("h-ok", new_agent("c-1"), 3_000)
        .await
        .unwrap();
    assert_eq!(target.name, "edge-1");
    assert_eq!(target.kind, TargetKind::Agent);
    assert_eq!(target.endpoint, format!("agent://{}", agent.id));
    assert_eq!(target.environment_id.as_deref(), Some(env.id.as_str()));
    assert_eq!(target.labels, labels);
    assert_eq!(agent.target_name, "edge-1");
    // Single use, expiry, unknown tokens, and a clash with an existing target's name (which
    // leaves the token unused).
    assert_not_found(
        store.enroll_agent("h-ok", new_agent("c-2"), 3_000).await,
        "enrollment token",
    );
    assert_not_found(
        store.enroll_agent("h-old", new_agent("c-3"), 3_000).await,
        "enrollment token",
    );
    assert_not_found(
        store.enroll_agent("nope", new_agent("c-4"), 3_000).await,
        "enrollment token",
    );
    assert_conflict(
        store.enroll_agent("h-dup", new_agent("c-5"), 3_000).await,
        "target",
        "name",
    );
    assert!(store.list_agents(&w.org.id).await.unwrap().len() == 1);

    let found = store
        .find_agent_by_credential("c-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, agent.id);
    store
        .record_agent_seen(&agent.id, Some("0.2.0"), Some("10.1.2.3"), 4_000)
        .await
        .unwrap();
    let seen = store.get_agent(&w.org.id, &agent.id).await.unwrap();
    assert_eq!(seen.version.as_deref(), Some("0.2.0"));
    assert_eq!(seen.address.as_deref(), Some("10.1.2.3"));
    assert_eq!(seen.last_seen_at, Some(4_000));

    // Tenants: another organization neither sees nor revokes it.
    assert!(store.list_agents(&other.id).await.unwrap().is_empty());
    assert_not_found(store.get_agent(&other.id, &agent.id).await, "agent");
    assert_not_found(
        store.revoke_agent(&other.id, &agent.id, 5_000).await,
        "agent",
    );

    store
        .revoke_agent(&w.org.id, &agent.id, 5_000)
        .await
        .unwrap();
    store
        .revoke_agent(&w.org.id, &agent.id, 6_000)
        .await
        .unwrap();
    assert!(
        store
            .find_agent_by_credential("c-1")
            .await
            .unwrap()
            .is_none()
    );
    let revoked = store.get_agent(&w.org.id, &agent.id).await.unwrap();
    assert_eq!(revoked.revoked_at, Some(5_000));

    // Deleting the target deletes its agent.
    store
        .delete_target(&w.org.id, "edge-1", true)
        .await
        .unwrap();
    assert!(store.list_agents(&w.org.id).await.unwrap().is_empty());
}
