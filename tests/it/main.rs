//! Lanyard's integration tests: one binary, one module per data path, all against real parts
//! started by `support/`.

mod bridge;
mod bridge_oauth;
mod cli;
mod hostile;
mod merged;
mod oauth;
mod oauth_cli;
mod support;
mod upstream;
mod vault;
