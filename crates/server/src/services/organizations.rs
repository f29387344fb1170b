//! Organizations, their members and their environments.

use windflow_storage::Environment;

use crate::error::{ApiResult, named};
use crate::state::App;

/// The organization's environment called `name`; 404 naming it otherwise.
pub async fn find_environment(app: &App, org_id: &str, name: &str) -> ApiResult<Environment> {
    app.store
        .get_environment(org_id, name)
        .await
        .map_err(named("environment", name))
}
