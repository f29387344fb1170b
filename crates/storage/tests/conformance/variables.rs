//! Variables and secrets (`VariableStore`).

use super::*;

pub(crate) async fn variables_and_secrets(store: &dyn Store) {
    let w = world(store).await;
    let prod = environment(store, &w.org.id, "prod").await;
    let stack_scope = VariableScope::Stack {
        stack_id: w.stack.id.clone(),
        environment_id: None,
    };
    let stack_prod_scope = VariableScope::Stack {
        stack_id: w.stack.id.clone(),
        environment_id: Some(prod.id.clone()),
    };
    let env_scope = VariableScope::Environment {
        environment_id: prod.id.clone(),
    };
    let set = |scope: &VariableScope, name: &str, value: VariableValue, at: Timestamp| {
        let variable = NewVariable {
            id: id("var"),
            scope: scope.clone(),
            name: name.into(),
            value,
            updated_by: w.alice.id.clone(),
            updated_at: at,
        };
        let org_id = w.org.id.clone();
        async move { store.set_variable(&org_id, variable).await }
    };
    let plain = |s: &str| VariableValue::Plain(s.into());

    let port = set(&stack_scope, "PORT", plain("80"), T0).await.unwrap();
    assert_eq!(port.org_id, w.org.id);
    assert_eq!(port.scope, stack_scope);
    assert_eq!(port.value, plain("80"));
    set(&stack_prod_scope, "PORT", plain("443"), T0)
        .await
        .unwrap();
    set(&env_scope, "PORT", plain("8080"), T0).await.unwrap();
    set(&stack_scope, "DEBUG", plain(""), T0).await.unwrap();

    // Setting again replaces the value and keeps the variable's id.
    let replaced = set(&stack_scope, "PORT", plain("81"), T0 + 5)
        .await
        .unwrap();
    assert_eq!(replaced.id, port.id);
    assert_eq!(replaced.value, plain("81"));
    assert_eq!(replaced.updated_at, T0 + 5);

    let names = |vars: Vec<Variable>| -> Vec<(String, VariableValue)> {
        vars.into_iter().map(|v| (v.name, v.value)).collect()
    };
    assert_eq!(
        names(store.list_variables(&w.org.id, &stack_scope).await.unwrap()),
        vec![("DEBUG".into(), plain("")), ("PORT".into(), plain("81"))]
    );
    assert_eq!(
        names(
            store
                .list_variables(&w.org.id, &stack_prod_scope)
                .await
                .unwrap()
        ),
        vec![("PORT".into(), plain("443"))]
    );
    let env_vars = store.list_variables(&w.org.id, &env_scope).await.unwrap();
    assert_eq!(env_vars.len(), 1);
    assert_eq!(env_vars[0].scope, env_scope);

    // Secrets are bytes, every byte value survives.
    let secret = SecretValue {
        key_id: "key-1".into(),
        nonce: (0u8..24).collect(),
        ciphertext: vec![0, 255, 0, 10, 13, 0x80, 0xfe, 0],
    };
    let stored = set(
        &stack_scope,
        "TOKEN",
        VariableValue::Secret(secret.clone()),
        T0,
    )
    .await
    .unwrap();
    assert_eq!(stored.value, VariableValue::Secret(secret.clone()));
    let empty_secret = SecretValue {
        key_id: "key-1".into(),
        nonce: vec![1; 24],
        ciphertext: Vec::new(),
    };
    set(
        &env_scope,
        "EMPTY",
        VariableValue::Secret(empty_secret.clone()),
        T0,
    )
    .await
    .unwrap();
    // A plain variable can become a secret and back.
    let flipped = set(
        &stack_scope,
        "DEBUG",
        VariableValue::Secret(secret.clone()),
        T0,
    )
    .await
    .unwrap();
    assert_eq!(flipped.value, VariableValue::Secret(secret.clone()));
    set(&stack_scope, "DEBUG", plain("1"), T0).await.unwrap();

    let beta = org(store, "beta").await;
    let beta_stack = stack(store, &beta.id, "web", &w.alice.id).await;
    let beta_secret = store
        .set_variable(
            &beta.id,
            NewVariable {
                id: id("var"),
                scope: VariableScope::Stack {
                    stack_id: beta_stack.id.clone(),
                    environment_id: None,
                },
                name: "TOKEN".into(),
                value: VariableValue::Secret(secret.clone()),
                updated_by: w.alice.id.clone(),
                updated_at: T0,
            },
        )
        .await
        .unwrap();

    let secrets = store.list_all_secrets().await.unwrap();
    let mut found: Vec<_> = secrets
        .iter()
        .map(|v| (v.org_id.clone(), v.name.clone()))
        .collect();
    found.sort();
    let mut expected = vec![
        (w.org.id.clone(), "TOKEN".to_string()),
        (w.org.id.clone(), "EMPTY".to_string()),
        (beta.id.clone(), "TOKEN".to_string()),
    ];
    expected.sort();
    assert_eq!(found, expected, "only secrets, of every organization");
    let mut own: Vec<_> = store
        .list_org_secrets(&beta.id)
        .await
        .unwrap()
        .into_iter()
        .map(|v| (v.org_id, v.name))
        .collect();
    own.sort();
    assert_eq!(
        own,
        vec![(beta.id.clone(), "TOKEN".to_string())],
        "only the organization's own secrets"
    );
    let empty = secrets.iter().find(|v| v.name == "EMPTY").unwrap();
    assert_eq!(empty.value, VariableValue::Secret(empty_secret));

    // Re-encryption under a new key.
    let rotated = SecretValue {
        key_id: "key-2".into(),
        nonce: vec![9; 24],
        ciphertext: vec![1, 2, 3],
    };
    store
        .replace_secret_value(&stored.id, rotated.clone())
        .await
        .unwrap();
    let token = store
        .list_variables(&w.org.id, &stack_scope)
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.name == "TOKEN")
        .unwrap();
    assert_eq!(token.value, VariableValue::Secret(rotated));
    assert_eq!(token.id, stored.id);
    // The other organization's secret is untouched.
    let beta_token = store
        .list_all_secrets()
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.id == beta_secret.id)
        .unwrap();
    assert_eq!(beta_token.value, VariableValue::Secret(secret));
    assert_not_found(
        store
            .replace_secret_value(&port.id, empty_secret_value())
            .await,
        "secret",
    );
    assert_not_found(
        store
            .replace_secret_value("nope", empty_secret_value())
            .await,
        "secret",
    );

    store
        .delete_variable(&w.org.id, &stack_scope, "PORT")
        .await
        .unwrap();
    assert_not_found(
        store.delete_variable(&w.org.id, &stack_scope, "PORT").await,
        "variable",
    );
    // Deleting in one scope leaves the same name in the others.
    assert_eq!(
        store
            .list_variables(&w.org.id, &stack_prod_scope)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_not_found(
        set(
            &VariableScope::Stack {
                stack_id: "nope".into(),
                environment_id: None,
            },
            "X",
            plain("1"),
            T0,
        )
        .await,
        "stack",
    );
    assert_not_found(
        set(
            &VariableScope::Environment {
                environment_id: "nope".into(),
            },
            "X",
            plain("1"),
            T0,
        )
        .await,
        "environment",
    );
}

fn empty_secret_value() -> SecretValue {
    SecretValue {
        key_id: "k".into(),
        nonce: vec![],
        ciphertext: vec![],
    }
}
