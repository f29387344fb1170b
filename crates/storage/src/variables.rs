//! Variables and secrets, scoped to a stack (optionally per environment) or to an
//! environment. Secrets arrive encrypted (key id, nonce, ciphertext) and leave the same way.

use async_trait::async_trait;

use crate::StoreResult;
use crate::record::*;

/// Variables and encrypted secrets.
#[async_trait]
pub trait VariableStore: Send + Sync {
    // ---- variables and secrets -------------------------------------------------------
    /// Inserts or replaces a variable in `scope`.
    async fn set_variable(&self, org_id: &str, variable: NewVariable) -> StoreResult<Variable>;
    async fn list_variables(
        &self,
        org_id: &str,
        scope: &VariableScope,
    ) -> StoreResult<Vec<Variable>>;
    async fn delete_variable(
        &self,
        org_id: &str,
        scope: &VariableScope,
        name: &str,
    ) -> StoreResult<()>;
    /// Every secret of every organization, for re-encrypting under a new key.
    async fn list_all_secrets(&self) -> StoreResult<Vec<Variable>>;
    /// Every secret of one organization, whatever its scope (to mask their values in what
    /// the server shows of its containers).
    async fn list_org_secrets(&self, org_id: &str) -> StoreResult<Vec<Variable>>;
    async fn replace_secret_value(&self, variable_id: &str, value: SecretValue) -> StoreResult<()>;
}

// ---- SQL --------------------------------------------------------------------------------

macro_rules! variable_columns {
    () => {
        "id, org_id, stack_id, environment_id, name, plain_value, secret_key_id, secret_nonce, \
         secret_ciphertext, updated_by, updated_at"
    };
}

// variables and secrets
pub(crate) const SET_VARIABLE: &str = concat!(
    "INSERT INTO variables (id, org_id, stack_id, environment_id, name, plain_value, \
     secret_key_id, secret_nonce, secret_ciphertext, updated_by, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
     ON CONFLICT (org_id, COALESCE(stack_id, ''), COALESCE(environment_id, ''), name) \
     DO UPDATE SET plain_value = excluded.plain_value, secret_key_id = excluded.secret_key_id, \
     secret_nonce = excluded.secret_nonce, secret_ciphertext = excluded.secret_ciphertext, \
     updated_by = excluded.updated_by, updated_at = excluded.updated_at RETURNING ",
    variable_columns!()
);
pub(crate) const LIST_VARIABLES: &str = concat!(
    "SELECT ",
    variable_columns!(),
    " FROM variables WHERE org_id = $1 AND COALESCE(stack_id, '') = $2 \
     AND COALESCE(environment_id, '') = $3 ORDER BY name"
);
pub(crate) const DELETE_VARIABLE: &str = "DELETE FROM variables WHERE org_id = $1 \
     AND COALESCE(stack_id, '') = $2 AND COALESCE(environment_id, '') = $3 AND name = $4";
pub(crate) const LIST_ALL_SECRETS: &str = concat!(
    "SELECT ",
    variable_columns!(),
    " FROM variables WHERE secret_ciphertext IS NOT NULL ORDER BY org_id, id"
);
pub(crate) const LIST_ORG_SECRETS: &str = concat!(
    "SELECT ",
    variable_columns!(),
    " FROM variables WHERE org_id = $1 AND secret_ciphertext IS NOT NULL ORDER BY id"
);
pub(crate) const REPLACE_SECRET_VALUE: &str = "UPDATE variables SET secret_key_id = $2, \
     secret_nonce = $3, secret_ciphertext = $4 WHERE id = $1 AND secret_ciphertext IS NOT NULL";

// ---- the implementation, expanded once per backend --------------------------------------

/// Implements [`VariableStore`] for `$store`, in the adapter's child module `variables`.
/// Expanded by [`impl_store!`](crate::adapter::impl_store), which defines the `Db`, `DbRow`,
/// `col`, `rows` and `exists` this body uses.
macro_rules! impl_variable_store {
    ($store:ty) => {
        pub(super) mod variables {
            use super::*;
            use $crate::record::*;
            use $crate::sql::{database_error, write_error};
            use $crate::variables::{self as q, VariableStore};
            use $crate::{StoreError, StoreResult};

            pub(super) fn variable_from_row(row: &DbRow) -> StoreResult<Variable> {
                let stack_id: Option<String> = col(row, "stack_id")?;
                let environment_id: Option<String> = col(row, "environment_id")?;
                let scope = match (stack_id, environment_id) {
                    (Some(stack_id), environment_id) => VariableScope::Stack {
                        stack_id,
                        environment_id,
                    },
                    (None, Some(environment_id)) => VariableScope::Environment { environment_id },
                    (None, None) => {
                        return Err(StoreError::Database("variable without a scope".into()));
                    }
                };
                let plain: Option<String> = col(row, "plain_value")?;
                let value = match plain {
                    Some(text) => VariableValue::Plain(text),
                    None => VariableValue::Secret(SecretValue {
                        key_id: col::<Option<String>>(row, "secret_key_id")?.unwrap_or_default(),
                        nonce: col::<Option<Vec<u8>>>(row, "secret_nonce")?.unwrap_or_default(),
                        ciphertext: col::<Option<Vec<u8>>>(row, "secret_ciphertext")?
                            .unwrap_or_default(),
                    }),
                };
                Ok(Variable {
                    id: col(row, "id")?,
                    org_id: col(row, "org_id")?,
                    scope,
                    name: col(row, "name")?,
                    value,
                    updated_by: col(row, "updated_by")?,
                    updated_at: col(row, "updated_at")?,
                })
            }

            /// `(stack_id, environment_id)` as the variables table stores them, with `''` for
            /// "none" (the unique index and the lookups compare through `COALESCE(…, '')`).
            pub(super) fn scope_keys(scope: &VariableScope) -> (&str, &str) {
                match scope {
                    VariableScope::Stack {
                        stack_id,
                        environment_id,
                    } => (stack_id.as_str(), environment_id.as_deref().unwrap_or("")),
                    VariableScope::Environment { environment_id } => ("", environment_id.as_str()),
                }
            }

            #[async_trait::async_trait]
            impl VariableStore for $store {
                async fn set_variable(
                    &self,
                    org_id: &str,
                    variable: NewVariable,
                ) -> StoreResult<Variable> {
                    let (stack_id, environment_id) = scope_keys(&variable.scope);
                    if !stack_id.is_empty()
                        && !self
                            .exists($crate::sql::STACK_EXISTS, org_id, Some(stack_id))
                            .await?
                    {
                        return Err(StoreError::NotFound("stack"));
                    }
                    if !environment_id.is_empty()
                        && !self
                            .exists(
                                $crate::organizations::ENVIRONMENT_EXISTS,
                                org_id,
                                Some(environment_id),
                            )
                            .await?
                    {
                        return Err(StoreError::NotFound("environment"));
                    }
                    let (plain, secret) = match &variable.value {
                        VariableValue::Plain(text) => (Some(text.as_str()), None),
                        VariableValue::Secret(secret) => (None, Some(secret)),
                    };
                    let row = sqlx::query::<Db>(q::SET_VARIABLE)
                        .bind(&variable.id)
                        .bind(org_id)
                        .bind((!stack_id.is_empty()).then_some(stack_id))
                        .bind((!environment_id.is_empty()).then_some(environment_id))
                        .bind(&variable.name)
                        .bind(plain)
                        .bind(secret.map(|s| s.key_id.as_str()))
                        .bind(secret.map(|s| s.nonce.as_slice()))
                        .bind(secret.map(|s| s.ciphertext.as_slice()))
                        .bind(&variable.updated_by)
                        .bind(variable.updated_at)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(write_error("variable", "name", "stack or environment"))?;
                    variable_from_row(&row)
                }

                async fn list_variables(
                    &self,
                    org_id: &str,
                    scope: &VariableScope,
                ) -> StoreResult<Vec<Variable>> {
                    let (stack_id, environment_id) = scope_keys(scope);
                    let found = sqlx::query::<Db>(q::LIST_VARIABLES)
                        .bind(org_id)
                        .bind(stack_id)
                        .bind(environment_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, variable_from_row)
                }

                async fn delete_variable(
                    &self,
                    org_id: &str,
                    scope: &VariableScope,
                    name: &str,
                ) -> StoreResult<()> {
                    let (stack_id, environment_id) = scope_keys(scope);
                    let done = sqlx::query::<Db>(q::DELETE_VARIABLE)
                        .bind(org_id)
                        .bind(stack_id)
                        .bind(environment_id)
                        .bind(name)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "variable")
                }

                async fn list_all_secrets(&self) -> StoreResult<Vec<Variable>> {
                    let found = sqlx::query::<Db>(q::LIST_ALL_SECRETS)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, variable_from_row)
                }

                async fn list_org_secrets(&self, org_id: &str) -> StoreResult<Vec<Variable>> {
                    let found = sqlx::query::<Db>(q::LIST_ORG_SECRETS)
                        .bind(org_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, variable_from_row)
                }

                async fn replace_secret_value(
                    &self,
                    variable_id: &str,
                    value: SecretValue,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::REPLACE_SECRET_VALUE)
                        .bind(variable_id)
                        .bind(&value.key_id)
                        .bind(&value.nonce)
                        .bind(&value.ciphertext)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "secret")
                }
            }
        }
    };
}

pub(crate) use impl_variable_store;
