//! The implementation both adapters share: [`impl_store!`] expands, inside `sqlite.rs` and
//! `postgres.rs`, the helpers every aggregate body uses and then each aggregate's own macro,
//! so one SQL text and one body serve both databases.

/// Implements [`Store`](crate::Store) and every aggregate trait for `$store`, a struct with a
/// `pool` field of the backend's pool type and an `async fn begin_write(&self)` that opens a
/// write transaction. `$db` is the sqlx database type and `$row` its row type.
///
/// Expanded at the top of the adapter module (`sqlite.rs`, `postgres.rs`), it defines what
/// every aggregate body uses (`Db`, `DbRow`, `col`, `first`, `rows`, `not_found_unless`,
/// `exists`), then expands each aggregate's own macro (`impl_user_store!` in `users.rs`, …),
/// which puts that aggregate's implementation in a child module of the adapter.
macro_rules! impl_store {
    ($store:ty, $db:ty, $row:ty, $backend:literal) => {
        use sqlx::Row as _;

        type Db = $db;
        type DbRow = $row;

        /// Decodes a column, turning a decoding failure into `$crate::StoreError::Database`.
        fn col<'r, T>(row: &'r DbRow, name: &str) -> $crate::StoreResult<T>
        where
            T: sqlx::Decode<'r, Db> + sqlx::Type<Db>,
        {
            row.try_get::<T, _>(name)
                .map_err($crate::sql::database_error)
        }

        fn first<'r, T>(row: &'r DbRow) -> $crate::StoreResult<T>
        where
            T: sqlx::Decode<'r, Db> + sqlx::Type<Db>,
        {
            row.try_get::<T, _>(0usize)
                .map_err($crate::sql::database_error)
        }

        fn rows<T>(
            rows: Vec<DbRow>,
            decode: fn(&DbRow) -> $crate::StoreResult<T>,
        ) -> $crate::StoreResult<Vec<T>> {
            rows.iter().map(decode).collect()
        }

        fn not_found_unless(affected: u64, entity: &'static str) -> $crate::StoreResult<()> {
            if affected == 0 {
                Err($crate::StoreError::NotFound(entity))
            } else {
                Ok(())
            }
        }

        impl $store {
            async fn exists(
                &self,
                sql: &'static str,
                a: &str,
                b: Option<&str>,
            ) -> $crate::StoreResult<bool> {
                let mut query = sqlx::query::<Db>(sql).bind(a);
                if let Some(b) = b {
                    query = query.bind(b);
                }
                Ok(query
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::sql::database_error)?
                    .is_some())
            }
        }

        $crate::users::impl_user_store!($store);
        $crate::access::impl_access_store!($store);
        $crate::passkeys::impl_passkey_store!($store);
        $crate::organizations::impl_organization_store!($store);
        $crate::targets::impl_target_store!($store);
        $crate::stacks::impl_stack_store!($store);
        $crate::variables::impl_variable_store!($store);
        $crate::deployments::impl_deployment_store!($store);
        $crate::audit::impl_audit_store!($store);
        $crate::agents::impl_agent_store!($store);
        $crate::certificates::impl_certificate_store!($store);
        $crate::dns::impl_dns_store!($store);
        $crate::domains::impl_domain_store!($store);
        $crate::catalog::impl_catalog_store!($store);
        $crate::ai::impl_ai_store!($store);
        $crate::backups::impl_backup_store!($store);
        $crate::factors::impl_factor_store!($store);
        $crate::sso::impl_sso_store!($store);
        $crate::workflows::impl_workflow_store!($store);

        #[async_trait::async_trait]
        impl $crate::Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn ping(&self) -> $crate::StoreResult<()> {
                sqlx::query::<Db>("SELECT 1")
                    .execute(&self.pool)
                    .await
                    .map_err($crate::sql::database_error)?;
                Ok(())
            }
        }
    };
}

pub(crate) use impl_store;
