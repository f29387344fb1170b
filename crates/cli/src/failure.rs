//! How a command fails: the message to print and the process exit code (`crate::exit`).

use windflow_engine::deploy::UpError;
use windflow_engine::driver::DriverError;

use crate::exit;

/// A failed command: what to print and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl From<DriverError> for Failure {
    fn from(e: DriverError) -> Self {
        let code = if e.is_unreachable() {
            exit::UNREACHABLE
        } else {
            exit::FAILURE
        };
        let hint = match &e {
            DriverError::Unreachable { .. } => {
                "\nhint: is dockerd running? Set -H/--host or DOCKER_HOST to use another engine."
            }
            DriverError::ClusterUnreachable { .. } => {
                "\nhint: is the cluster up? Set --kubeconfig or KUBECONFIG (and --context) to use another."
            }
            _ => "",
        };
        Self::new(code, format!("{e}{hint}"))
    }
}

impl From<UpError> for Failure {
    fn from(e: UpError) -> Self {
        match e {
            UpError::Driver(d) => d.into(),
            UpError::Failed { ref failure, .. } => {
                let code = match &failure.rollback {
                    Some(r) if !r.errors.is_empty() => exit::ROLLBACK_FAILED,
                    _ => exit::DEPLOY_FAILED,
                };
                Self::new(code, e.to_string())
            }
            other => Self::new(exit::FAILURE, other.to_string()),
        }
    }
}
