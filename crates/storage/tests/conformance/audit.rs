//! The audit log (`AuditStore`).

use super::*;

pub(crate) async fn audit_filters_and_pages(store: &dyn Store) {
    let acme = org(store, "acme").await;
    let beta = org(store, "beta").await;
    let entry = |org_id: Option<&str>, actor: &str, action: &str, at: Timestamp| NewAuditEntry {
        id: id("audit"),
        org_id: org_id.map(Into::into),
        actor_id: Some(format!("{actor}-id")),
        actor: actor.into(),
        action: action.into(),
        resource: format!("stack/{action}"),
        detail: json!({"at": at}),
        ip: Some("10.0.0.1".into()),
        at,
    };
    let entries = [
        entry(Some(&acme.id), "alice", "stack.create", T0 + 1),
        entry(Some(&acme.id), "bob", "stack.update", T0 + 2),
        entry(Some(&acme.id), "alice", "deployment.cancel", T0 + 3),
        entry(Some(&beta.id), "carol", "stack.create", T0 + 4),
        entry(None, "root", "user.create", T0 + 5),
        NewAuditEntry {
            actor_id: None,
            ip: None,
            ..entry(None, "anonymous", "auth.login_failed", T0 + 6)
        },
        entry(Some(&acme.id), "alice", "stackx.odd", T0 + 7),
    ];
    for e in &entries {
        store.append_audit(e.clone()).await.unwrap();
    }
    assert_conflict(
        store.append_audit(entries[0].clone()).await,
        "audit entry",
        "id",
    );
    let list = |org_id: Option<String>, filter: AuditFilter, page: PageRequest| async move {
        let page = store
            .list_audit(org_id.as_deref(), &filter, page)
            .await
            .unwrap();
        (
            page.total,
            page.items
                .into_iter()
                .map(|e| e.at - T0)
                .collect::<Vec<_>>(),
        )
    };
    let acme_id = Some(acme.id.clone());
    assert_eq!(
        list(acme_id.clone(), AuditFilter::default(), PageRequest::all()).await,
        (4, vec![7, 3, 2, 1]),
        "newest first, only acme"
    );
    assert_eq!(
        list(None, AuditFilter::default(), PageRequest::all()).await,
        (7, vec![7, 6, 5, 4, 3, 2, 1]),
        "server level: everything"
    );
    assert_eq!(
        list(None, AuditFilter::default(), PageRequest::new(2, 2)).await,
        (7, vec![5, 4])
    );
    let by_actor = AuditFilter {
        actor: Some("alice".into()),
        ..Default::default()
    };
    assert_eq!(
        list(acme_id.clone(), by_actor, PageRequest::all()).await,
        (3, vec![7, 3, 1])
    );
    let by_prefix = AuditFilter {
        action: Some("stack.".into()),
        ..Default::default()
    };
    assert_eq!(
        list(None, by_prefix.clone(), PageRequest::all()).await,
        (3, vec![4, 2, 1]),
        "prefix match, `stackx.` is not `stack.`"
    );
    assert_eq!(
        list(acme_id.clone(), by_prefix, PageRequest::new(1, 0)).await,
        (2, vec![2])
    );
    let window = AuditFilter {
        since: Some(T0 + 2),
        until: Some(T0 + 5),
        ..Default::default()
    };
    assert_eq!(
        list(None, window, PageRequest::all()).await,
        (3, vec![4, 3, 2]),
        "since inclusive, until exclusive"
    );
    let stored = store
        .list_audit(None, &AuditFilter::default(), PageRequest::new(1, 1))
        .await
        .unwrap();
    assert_eq!(stored.items, vec![entries[5].clone()], "round trip");
}
