//! [`Payload`]: a JSON request body that is read but not parsed until the handler asks, after
//! its `require(Permission)`. axum's `Json` parses while extracting — before the handler runs
//! — so a caller without the permission would learn the request schema from the errors.

use std::marker::PhantomData;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ApiResult};

/// The raw bytes of a JSON body (within the server's body limit) and whether the request said
/// it was JSON. [`Payload::parse`] turns it into `T`.
pub struct Payload<T> {
    bytes: Bytes,
    json: bool,
    _type: PhantomData<fn() -> T>,
}

impl<S: Send + Sync, T> FromRequest<S> for Payload<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> ApiResult<Self> {
        let json = is_json(request.headers());
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge
                } else {
                    ApiError::BadRequest(rejection.body_text())
                }
            })?;
        Ok(Payload {
            bytes,
            json,
            _type: PhantomData,
        })
    }
}

impl<T: DeserializeOwned> Payload<T> {
    /// The body as `T`: a 415 when the request was not JSON, a 422 naming the field at fault
    /// (or the syntax error) when it does not fit.
    pub fn parse(self) -> ApiResult<T> {
        if !self.json {
            return Err(ApiError::UnsupportedMediaType(
                "send the body as JSON (content-type: application/json)".into(),
            ));
        }
        let invalid = |field: String, message: String| {
            let field = if field == "." || field.is_empty() {
                "body".to_string()
            } else {
                field
            };
            ApiError::invalid(&field, message)
        };
        let mut deserializer = serde_json::Deserializer::from_slice(&self.bytes);
        let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
            let path = e.path().to_string();
            let error = e.into_inner();
            // A syntax error has no field; a value that does not fit names its path.
            let field = if error.is_data() { path } else { String::new() };
            invalid(field, error.to_string())
        })?;
        deserializer
            .end()
            .map_err(|e| invalid(String::new(), e.to_string()))?;
        Ok(value)
    }
}

fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Request {
        name: String,
        #[serde(default)]
        count: u32,
    }

    fn check(json: bool, body: &str, expected: Result<Request, (u16, &str)>) {
        let payload = Payload::<Request> {
            bytes: Bytes::from(body.to_string()),
            json,
            _type: PhantomData,
        };
        match (payload.parse(), expected) {
            (Ok(got), Ok(want)) => assert_eq!(got, want),
            (Err(got), Err((status, detail))) => {
                let problem = got.to_problem();
                assert_eq!(problem.status, status, "{problem:?}");
                assert!(
                    problem.detail.as_deref().unwrap_or("").contains(detail),
                    "{problem:?}"
                );
            }
            (got, want) => panic!("{body}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn parses_only_json_that_fits() {
        check(
            true,
            r#"{"name": "web"}"#,
            Ok(Request {
                name: "web".into(),
                count: 0,
            }),
        );
        check(false, r#"{"name": "web"}"#, Err((415, "as JSON")));
        check(true, r#"{"name": 3}"#, Err((422, "name: invalid type")));
        check(true, r#"{"count": 1}"#, Err((422, "missing field `name`")));
        check(true, r#"{"name": "web""#, Err((422, "body: EOF")));
        check(
            true,
            r#"{"name": "web"} x"#,
            Err((422, "trailing characters")),
        );
        check(true, "", Err((422, "body: EOF")));
    }

    #[test]
    fn recognizes_json_content_types() {
        let headers = |value: &str| {
            let mut map = axum::http::HeaderMap::new();
            map.insert(header::CONTENT_TYPE, value.parse().unwrap());
            map
        };
        assert!(is_json(&headers("application/json")));
        assert!(is_json(&headers("application/json; charset=utf-8")));
        assert!(is_json(&headers("application/merge-patch+json")));
        assert!(!is_json(&headers("text/plain")));
        assert!(!is_json(&axum::http::HeaderMap::new()));
    }
}
