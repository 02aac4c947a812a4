//! Lanyard's integration tests: one binary, one module per data path, all against real parts
//! started by `support/`.

mod agent_stdio;
mod agents;
mod bridge;
mod bridge_oauth;
mod catalog;
mod cli;
mod client_key;
mod clients;
mod credential_paths;
mod doctor;
mod dpop;
mod elicitation;
mod enterprise;
mod faults;
mod headless;
mod hints;
mod hostile;
mod installs;
mod leaks;
mod legacy_discovery;
mod live_profiles;
mod load;
mod merged;
mod modern_server;
mod network;
mod oauth;
mod oauth_cli;
mod oauth_clients;
mod pins;
mod redirects;
mod sandbox;
mod secret_refs;
mod support;
mod upstream;
mod vault;
