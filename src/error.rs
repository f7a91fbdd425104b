//! Exit status and the error types shared at module edges.

use std::process::ExitCode;

/// Process exit status: 0 success, 1 the job failed, 2 usage error (as ruff's `ExitStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Success,
    Failure,
    Usage,
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> ExitCode {
        match s {
            ExitStatus::Success => ExitCode::from(0),
            ExitStatus::Failure => ExitCode::from(1),
            ExitStatus::Usage => ExitCode::from(2),
        }
    }
}

/// A usage error (bad flag value, unknown profile name…): exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct UsageError {
    pub message: String,
    pub hint: Option<String>,
}

impl UsageError {
    pub fn new(message: impl Into<String>) -> Self {
        UsageError {
            message: message.into(),
            hint: None,
        }
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// An error with a `hint:` line telling the user how to fix it.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Hinted {
    pub message: String,
    pub hint: String,
}

pub fn hinted(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Hinted {
        message: message.into(),
        hint: hint.into(),
    })
}

/// The first hint found in an error chain.
pub fn hint_of(err: &anyhow::Error) -> Option<String> {
    err.chain().find_map(|c| {
        if let Some(h) = c.downcast_ref::<Hinted>() {
            Some(h.hint.clone())
        } else if let Some(u) = c.downcast_ref::<UsageError>() {
            u.hint.clone()
        } else {
            None
        }
    })
}
