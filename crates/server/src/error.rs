//! The one place errors become HTTP answers: every failure is an RFC 9457
//! `application/problem+json` body. Database and internal errors are logged with the request
//! id and answered with a bare 500 — their text never reaches the client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use windflow_protocol::{FieldError, Problem};
use windflow_storage::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("authentication required")]
    Unauthenticated,
    #[error("invalid username or password")]
    BadCredentials,
    #[error("{0}")]
    Forbidden(String),
    /// The password was right; the account's second factor is missing or wrong
    /// (`services::factors`). Its problem type is `SECOND_FACTOR_REQUIRED`.
    #[error("{0}")]
    SecondFactorRequired(String),
    /// An organization's login policy wants a second factor the caller has not enrolled.
    #[error("{0}")]
    SecondFactorEnrolmentRequired(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{message}")]
    Conflict {
        message: String,
        field: Option<String>,
    },
    /// If-Match did not match: someone else changed the resource.
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("{message}")]
    Invalid {
        message: String,
        errors: Vec<FieldError>,
    },
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("too many attempts; retry in {retry_after} s")]
    TooManyRequests { retry_after: u64 },
    #[error("{0}")]
    Unavailable(String),
    /// A service the server called on the user's behalf (a CA, a DNS server) refused.
    #[error("{0}")]
    BadGateway(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ApiError::Invalid {
            errors: vec![FieldError {
                field: field.to_string(),
                message: message.clone(),
                line: None,
            }],
            message: format!("{field}: {message}"),
        }
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(error.into())
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated
            | ApiError::BadCredentials
            | ApiError::SecondFactorRequired(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::SecondFactorEnrolmentRequired(_) => {
                StatusCode::FORBIDDEN
            }
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn slug(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated | ApiError::BadCredentials => "unauthenticated",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::SecondFactorRequired(_) => "second-factor-required",
            ApiError::SecondFactorEnrolmentRequired(_) => "second-factor-enrolment-required",
            ApiError::NotFound(_) => "not-found",
            ApiError::Conflict { .. } => "conflict",
            ApiError::PreconditionFailed(_) => "precondition-failed",
            ApiError::Invalid { .. } => "invalid",
            ApiError::BadRequest(_) => "bad-request",
            ApiError::UnsupportedMediaType(_) => "unsupported-media-type",
            ApiError::PayloadTooLarge => "payload-too-large",
            ApiError::TooManyRequests { .. } => "too-many-requests",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::BadGateway(_) => "bad-gateway",
            ApiError::Internal(_) => "internal",
        }
    }

    pub fn to_problem(&self) -> Problem {
        let status = self.status();
        let errors = match self {
            ApiError::Invalid { errors, .. } => errors.clone(),
            ApiError::Conflict {
                field: Some(field),
                message,
            } => vec![FieldError {
                field: field.clone(),
                message: message.clone(),
                line: None,
            }],
            // The methods a login may prove the second factor with.
            ApiError::SecondFactorRequired(_) => vec![FieldError {
                field: "code".into(),
                message: "totp, recovery_code".into(),
                line: None,
            }],
            _ => Vec::new(),
        };
        Problem {
            kind: format!("https://windflow.dev/problems/{}", self.slug()),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: match self {
                ApiError::Internal(_) => None,
                other => Some(other.to_string()),
            },
            instance: None,
            request_id: None,
            errors,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => ApiError::NotFound(what.to_string()),
            StoreError::Conflict { entity, field } => ApiError::Conflict {
                message: format!("a {entity} with this {field} already exists"),
                field: Some(field.to_string()),
            },
            StoreError::Stale { .. } => ApiError::PreconditionFailed(error.to_string()),
            StoreError::Invalid(message) => ApiError::Conflict {
                message,
                field: None,
            },
            StoreError::Database(_) => ApiError::Internal(error.into()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(error) = &self {
            tracing::error!(error = format!("{error:#}"), "request failed");
        }
        let problem = self.to_problem();
        let mut response = (self.status(), axum::Json(problem)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let ApiError::TooManyRequests { retry_after } = self
            && let Ok(value) = HeaderValue::from_str(&retry_after.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// Maps NotFound to a message naming the missing resource.
pub fn named(kind: &'static str, name: &str) -> impl FnOnce(StoreError) -> ApiError {
    let name = name.to_string();
    move |e| match e {
        StoreError::NotFound(_) => ApiError::NotFound(format!("{kind} {name:?}")),
        other => other.into(),
    }
}
