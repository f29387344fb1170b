//! Audit log queries and exports: `/orgs/{org}/audit` for an organization's admins,
//! `/audit` for server administrators (every entry).

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_protocol::{AuditEntry, AuditQuery, Page, Problem};
use windflow_storage::AuditFilter;

use crate::auth::{Caller, OrgAccess};
use crate::convert;
use crate::error::{ApiError, ApiResult};
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(org_audit))
        .routes(routes!(server_audit))
}

fn filter(query: &AuditQuery) -> ApiResult<AuditFilter> {
    let parse = |field: &str, value: &Option<String>| -> ApiResult<Option<i64>> {
        value
            .as_deref()
            .map(|v| {
                time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339)
                    .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
                    .map_err(|_| {
                        ApiError::invalid(
                            field,
                            "expected an RFC 3339 time such as 2026-11-21T10:00:00Z",
                        )
                    })
            })
            .transpose()
    };
    Ok(AuditFilter {
        actor: query.actor.clone().filter(|a| !a.is_empty()),
        action: query.action.clone().filter(|a| !a.is_empty()),
        since: parse("since", &query.since)?,
        until: parse("until", &query.until)?,
    })
}

fn render(page: Page<AuditEntry>, format: Option<&str>) -> ApiResult<Response> {
    match format.unwrap_or("json") {
        "json" => Ok(Json(page).into_response()),
        "csv" => {
            let mut out = String::from("at,organization,actor,action,resource,ip,detail\n");
            for e in page.items {
                let fields = [
                    e.at.format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default(),
                    e.organization.unwrap_or_default(),
                    e.actor,
                    e.action,
                    e.resource,
                    e.ip.unwrap_or_default(),
                    e.detail.to_string(),
                ];
                let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                out.push_str(&row.join(","));
                out.push('\n');
            }
            let mut response = out.into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            response.headers_mut().insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"windflow-audit.csv\""),
            );
            Ok(response)
        }
        other => Err(ApiError::invalid(
            "format",
            format!("expected json or csv, got {other:?}"),
        )),
    }
}

/// Quotes a CSV field; a leading `=`, `+`, `-` or `@` is defused so spreadsheets do not run it.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    format!("\"{}\"", value.replace('"', "\"\""))
}

/// The organization's audit log, newest first (admins). `format=csv` exports it.
#[utoipa::path(get, path = "/orgs/{org}/audit", tag = "audit",
    params(("org" = String, Path, description = "Organization slug"), AuditQuery),
    responses((status = 200, body = Page<AuditEntry>), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
async fn org_audit(
    State(state): State<AppState>,
    access: OrgAccess,
    Query(query): Query<AuditQuery>,
) -> ApiResult<Response> {
    access.require(Permission::Audit)?;
    let request = convert::page_request(query.limit, query.offset);
    let page = services::audit::list(&state, Some(&access.org), &filter(&query)?, request).await?;
    render(page, query.format.as_deref())
}

/// Every audit entry, server-level ones included (server administrators).
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Page<AuditEntry>), (status = 403, body = Problem)))]
async fn server_audit(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<AuditQuery>,
) -> ApiResult<Response> {
    caller.require_server_admin()?;
    let request = convert::page_request(query.limit, query.offset);
    let page = services::audit::list(&state, None, &filter(&query)?, request).await?;
    render(page, query.format.as_deref())
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(super::csv_field("a\"b"), "\"a\"\"b\"");
        assert_eq!(super::csv_field("=cmd()"), "\"'=cmd()\"");
    }
}
