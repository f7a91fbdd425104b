//! Headless Chromium: where it is and how to start it. One lookup for the product (printing
//! reports to PDF) and for the tests that open the pages, so both find the same browser.

use std::path::{Path, PathBuf};

/// Executable names searched on `PATH`, in this order.
pub const NAMES: &[&str] = &[
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

/// The Chromium to use: `$MCR_CHROMIUM` when set (a path, or a name looked up on `PATH`),
/// else the first of [`NAMES`] found on `PATH`. `None` when there is none.
pub fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let on_path = |name: &Path| -> Option<PathBuf> {
        if name.components().count() > 1 {
            return is_executable(name).then(|| name.to_path_buf());
        }
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| is_executable(p))
    };
    match std::env::var_os("MCR_CHROMIUM").filter(|v| !v.is_empty()) {
        Some(chosen) => on_path(Path::new(&chosen)),
        None => NAMES.iter().find_map(|n| on_path(Path::new(n))),
    }
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// Flags for a headless run with its own profile in `user_data_dir`. Without the
/// background-networking ones Chromium keeps connecting out, which a closed network refuses.
pub fn headless_args(user_data_dir: &Path) -> Vec<String> {
    [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!("--user-data-dir={}", user_data_dir.display())])
    .collect()
}
