//! The rule every resource name follows (organizations, stacks, targets, environments):
//! lowercase letters, digits, `-` and `_`, so a name is safe in a URL, a compose project and
//! a Docker object name.

use crate::error::ApiError;

/// `[a-z0-9][a-z0-9_-]*`, at most 63: what compose accepts as a project name and DNS likes.
pub fn check_name(field: &str, name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            field,
            format!(
                "{name:?} is not a valid name: use lowercase letters, digits, - and _ (starting with a letter or digit, at most 63)"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check_name("name", "web-2").is_ok());
        assert!(check_name("name", "Web").is_err());
        assert!(check_name("name", "-web").is_err());
        assert!(check_name("name", "").is_err());
    }
}
