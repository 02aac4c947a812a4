//! The `lanyard` binary. Everything it does is in the `cli` module over the engine library.

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
