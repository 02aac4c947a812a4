//! Lanyard's integration tests: one binary, one module per data path, all against real parts
//! started by `support/`.

mod cli;
mod support;
mod upstream;
mod vault;
