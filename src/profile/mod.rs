//! Connection profiles: the model, the profile file, `${VAR}` expansion, resolution against the
//! vault, import from IDE config files, and how an edit from a front end becomes a profile.

mod draft;
mod file;
mod form;
mod import;
mod model;
mod resolve;
mod settings;
mod validate;

pub use draft::{Draft, DraftError, NewSecrets, Value, auth_param_name, auth_params};
pub use file::{CURRENT_VERSION, ProfileError, ProfileFile, ProfileStore, RemovedSource, id_taken};
pub use form::{
    AuthParam, FieldProblem, Form, FormAuth, FormField, FormOAuth, FormServiceAccount, FormTransport,
    FormValue, shown_url,
};
/// For the client catalogue's tests, which read JSONC files back.
#[cfg(test)]
pub(crate) use import::strip_jsonc;
pub use import::{
    ImportError, ImportReport, ImportedProfile, Skipped, import_file, import_servers, parse_import,
};
pub use model::{
    Auth, AuthKind, CatalogOrigin, ClientCredentialsSettings, ClientKey, ConfigValue, ENTERPRISE_EXTENSION,
    EnterpriseSettings, KeyAlg, OAuthSettings, Profile, Protocol, RESERVED_AUTH_PARAMS, Sandbox,
    SandboxNetwork, Timeouts, ToolChanges, ToolFilter, Transport, TransportKind,
};
pub use resolve::{
    ResolveError, Resolved, ResolvedTransport, SecretSource, ca_bundle_of, ca_bundle_of_env, parse_http_url,
    resolve, resolve_with, server_url,
};
pub use settings::{AuthSettings, SettingRow, SourceSettings, TransportSettings};
pub use validate::{MissingScheme, Problem, is_portable_tool_name};
