//! The template catalog (`CatalogStore`) and AI providers and calls (`AiStore`).

use super::*;

fn source(name: &str) -> CatalogSourceRecord {
    CatalogSourceRecord {
        id: id("source"),
        name: name.into(),
        kind: "git".into(),
        url: "https://git.example.test/templates.git".into(),
        path: Some("templates/compose".into()),
        reference: Some("main".into()),
        format: "coolify".into(),
        refresh_interval_s: 86_400,
        refreshed_at: None,
        refresh_error: None,
        report: json!([]),
        created_at: T0,
    }
}

fn template(source_id: &str, template_id: &str, version: &str) -> CatalogTemplateRow {
    CatalogTemplateRow {
        source_id: source_id.into(),
        template_id: template_id.into(),
        version: version.into(),
        name: format!("{template_id} (name)"),
        description: format!("the {template_id} template"),
        categories: vec!["database".into()],
        text: format!("services:\n  {template_id}:\n    image: busybox:1\n"),
    }
}

pub(crate) async fn catalog_sources_refresh_whole_and_keep_templates_on_error(store: &dyn Store) {
    let created = store
        .create_catalog_source(source("coolify"))
        .await
        .unwrap();
    assert_eq!(created.name, "coolify");
    assert_eq!(created.path.as_deref(), Some("templates/compose"));
    assert_conflict(
        store.create_catalog_source(source("coolify")).await,
        "catalog source",
        "name",
    );
    store
        .create_catalog_source(source("another"))
        .await
        .unwrap();
    let names: Vec<String> = store
        .list_catalog_sources()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["another", "coolify"]);

    // A refresh replaces the source's templates whole and stores its report.
    store
        .replace_catalog_templates(
            &created.id,
            vec![
                template(&created.id, "redis", "1"),
                template(&created.id, "ghost", "1"),
            ],
            json!([{"path": "bad.yaml", "reason": "invalid-yaml"}]),
            T0 + 1,
        )
        .await
        .unwrap();
    store
        .replace_catalog_templates(
            &created.id,
            vec![
                template(&created.id, "redis", "2"),
                template(&created.id, "n8n", "1"),
            ],
            json!([]),
            T0 + 2,
        )
        .await
        .unwrap();
    let listed = store.list_catalog_templates().await.unwrap();
    let ids: Vec<(&str, &str)> = listed
        .iter()
        .map(|t| (t.template_id.as_str(), t.version.as_str()))
        .collect();
    assert_eq!(ids, [("n8n", "1"), ("redis", "2")]);
    assert!(
        listed.iter().all(|t| t.text.is_empty()),
        "the list leaves the text out"
    );
    let redis = store
        .get_catalog_template(&created.id, "redis")
        .await
        .unwrap();
    assert_eq!(redis.categories, ["database"]);
    assert!(redis.text.contains("image: busybox:1"));
    assert_not_found(
        store.get_catalog_template(&created.id, "ghost").await,
        "template",
    );

    // A failed refresh keeps the templates and says why.
    store
        .record_catalog_refresh_error(&created.id, "git clone failed: timeout", T0 + 3)
        .await
        .unwrap();
    let after = store.get_catalog_source("coolify").await.unwrap();
    assert_eq!(
        after.refresh_error.as_deref(),
        Some("git clone failed: timeout")
    );
    assert_eq!(after.refreshed_at, Some(T0 + 3));
    assert_eq!(store.list_catalog_templates().await.unwrap().len(), 2);

    // Deleting a source takes its templates with it.
    store.delete_catalog_source("coolify").await.unwrap();
    assert!(store.list_catalog_templates().await.unwrap().is_empty());
    assert_not_found(store.get_catalog_source("coolify").await, "catalog source");
    assert_not_found(
        store.delete_catalog_source("coolify").await,
        "catalog source",
    );
}

pub(crate) async fn stack_templates_stay_in_their_organization(store: &dyn Store) {
    let w = world(store).await;
    let other = org(store, "other").await;
    let record = |version: &str| StackTemplate {
        stack_id: w.stack.id.clone(),
        source: "builtin".into(),
        template_id: "postgresql".into(),
        version: version.into(),
        size: json!({"class": "small"}),
        inputs: json!({"PORT": "5432"}),
        updated_by: w.alice.id.clone(),
        updated_at: T0,
    };
    assert_eq!(
        store
            .get_stack_template(&w.org.id, &w.stack.id)
            .await
            .unwrap(),
        None
    );
    store
        .set_stack_template(&w.org.id, record("1.0.0"))
        .await
        .unwrap();
    store
        .set_stack_template(&w.org.id, record("1.1.0"))
        .await
        .unwrap();
    let got = store
        .get_stack_template(&w.org.id, &w.stack.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.version, "1.1.0");
    assert_eq!(got.inputs, json!({"PORT": "5432"}));
    // Another organization neither reads nor writes it.
    assert_eq!(
        store
            .get_stack_template(&other.id, &w.stack.id)
            .await
            .unwrap(),
        None
    );
    assert_not_found(
        store.set_stack_template(&other.id, record("9.9.9")).await,
        "stack",
    );
}

pub(crate) async fn ai_providers_keep_their_key_and_count_tokens(store: &dyn Store) {
    let w = world(store).await;
    let other = org(store, "other").await;
    let sealed = |n: u8| SecretValue {
        key_id: format!("k{n}"),
        nonce: vec![n; 24],
        ciphertext: vec![n; 40],
    };
    let provider = |model: &str, secret: Option<SecretValue>| AiProviderRecord {
        org_id: w.org.id.clone(),
        base_url: "http://127.0.0.1:8080/v1".into(),
        model: model.into(),
        settings: json!({"timeout_s": 60}),
        secret,
        updated_by: w.alice.id.clone(),
        updated_at: T0,
    };
    assert_eq!(store.get_ai_provider(&w.org.id).await.unwrap(), None);
    store
        .set_ai_provider(provider("small", Some(sealed(1))))
        .await
        .unwrap();
    // A change without a key keeps the sealed key.
    let changed = store
        .set_ai_provider(provider("large", None))
        .await
        .unwrap();
    assert_eq!(changed.model, "large");
    assert_eq!(changed.secret, Some(sealed(1)));
    assert_eq!(store.list_all_ai_providers().await.unwrap().len(), 1);
    store
        .replace_ai_provider_secret(&w.org.id, sealed(2))
        .await
        .unwrap();
    assert_eq!(
        store
            .get_ai_provider(&w.org.id)
            .await
            .unwrap()
            .unwrap()
            .secret,
        Some(sealed(2))
    );
    assert_eq!(store.get_ai_provider(&other.id).await.unwrap(), None);

    let call = |org_id: &str, tokens: i64, at: Timestamp| AiRequestRow {
        id: id("ai"),
        org_id: org_id.into(),
        user_id: w.alice.id.clone(),
        kind: "generate".into(),
        model: "large".into(),
        prompt_tokens: tokens,
        completion_tokens: 1,
        duration_ms: 20,
        outcome: "ok".into(),
        created_at: at,
    };
    store
        .record_ai_request(call(&w.org.id, 100, T0))
        .await
        .unwrap();
    store
        .record_ai_request(call(&w.org.id, 10, T0 + 10))
        .await
        .unwrap();
    store
        .record_ai_request(call(&other.id, 1000, T0 + 10))
        .await
        .unwrap();
    assert_eq!(store.ai_tokens_since(&w.org.id, T0).await.unwrap(), 112);
    assert_eq!(store.ai_tokens_since(&w.org.id, T0 + 5).await.unwrap(), 11);
    assert_eq!(store.ai_tokens_since(&w.org.id, T0 + 50).await.unwrap(), 0);
    let listed = store.list_ai_requests(&w.org.id, 10).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].created_at, T0 + 10);

    store.delete_ai_provider(&w.org.id).await.unwrap();
    assert_not_found(store.delete_ai_provider(&w.org.id).await, "AI provider");
}
