//! Variables and secrets, shared by the stack and environment routes. A secret is encrypted
//! before it reaches the store and its value never leaves the server through the API.

use serde_json::json;
use windflow_protocol::{SetVariableRequest, Variable};
use windflow_storage::{NewVariable, VariableScope, VariableValue};

use crate::auth::OrgAccess;
use crate::convert;
use crate::error::{ApiError, ApiResult};
use crate::secrets::secret_aad;
use crate::services;
use crate::state::{App, new_id, now_ms};

/// Largest variable value accepted.
const MAX_VALUE_BYTES: usize = 64 * 1024;

pub fn check_variable_name(name: &str) -> ApiResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "name",
            format!(
                "{name:?} is not a variable name: use letters, digits and _, not starting with a digit"
            ),
        ))
    }
}

/// The variable scopes of a deployment of `stack_id` into `environment_id`, weakest first:
/// the environment's variables, under the stack's, under the stack's for this environment.
pub fn deployment_scopes(stack_id: &str, environment_id: Option<&str>) -> Vec<VariableScope> {
    let mut scopes = Vec::new();
    if let Some(env) = environment_id {
        scopes.push(VariableScope::Environment {
            environment_id: env.to_string(),
        });
    }
    scopes.push(VariableScope::Stack {
        stack_id: stack_id.to_string(),
        environment_id: None,
    });
    if let Some(env) = environment_id {
        scopes.push(VariableScope::Stack {
            stack_id: stack_id.to_string(),
            environment_id: Some(env.to_string()),
        });
    }
    scopes
}

pub async fn list(
    app: &App,
    access: &OrgAccess,
    scope: &VariableScope,
) -> ApiResult<Vec<Variable>> {
    let environments = app.store.list_environments(&access.org.id).await?;
    let env_name = |id: &Option<String>| {
        id.as_ref().and_then(|id| {
            environments
                .iter()
                .find(|e| &e.id == id)
                .map(|e| e.name.clone())
        })
    };
    let list = app.store.list_variables(&access.org.id, scope).await?;
    Ok(list
        .into_iter()
        .map(|v| {
            let environment = match &v.scope {
                VariableScope::Stack { environment_id, .. } => env_name(environment_id),
                VariableScope::Environment { environment_id } => {
                    env_name(&Some(environment_id.clone()))
                }
            };
            let (secret, value) = match v.value {
                VariableValue::Plain(value) => (false, Some(value)),
                VariableValue::Secret(_) => (true, None),
            };
            Variable {
                name: v.name,
                secret,
                value,
                environment,
                updated_by: v.updated_by,
                updated_at: convert::time(v.updated_at),
            }
        })
        .collect())
}

pub async fn set(
    app: &App,
    access: &OrgAccess,
    scope: VariableScope,
    resource: &str,
    name: &str,
    request: SetVariableRequest,
) -> ApiResult<Variable> {
    check_variable_name(name)?;
    if request.value.len() > MAX_VALUE_BYTES {
        return Err(ApiError::invalid("value", "larger than 64 KiB"));
    }
    let value = if request.secret {
        let aad = secret_aad(&access.org.id, &scope, name);
        VariableValue::Secret(app.keyring.encrypt(&aad, request.value.as_bytes()))
    } else {
        VariableValue::Plain(request.value)
    };
    let variable = app
        .store
        .set_variable(
            &access.org.id,
            NewVariable {
                id: new_id(),
                scope,
                name: name.to_string(),
                value,
                updated_by: access.caller.user.username.clone(),
                updated_at: now_ms(),
            },
        )
        .await?;
    // The audit log names the variable, never its value.
    services::audit::record_org(
        app,
        access,
        if request.secret {
            "secret.set"
        } else {
            "variable.set"
        },
        &format!("{resource}/variables/{name}"),
        json!({}),
    )
    .await;
    let scope = variable.scope.clone();
    let listed = list(app, access, &scope).await?;
    listed
        .into_iter()
        .find(|v| v.name == name)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("variable vanished after writing")))
}

pub async fn delete(
    app: &App,
    access: &OrgAccess,
    scope: &VariableScope,
    resource: &str,
    name: &str,
) -> ApiResult<()> {
    app.store
        .delete_variable(&access.org.id, scope, name)
        .await?;
    services::audit::record_org(
        app,
        access,
        "variable.delete",
        &format!("{resource}/variables/{name}"),
        json!({}),
    )
    .await;
    Ok(())
}
