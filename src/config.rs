//! Configuration layers: flags, then `CROSSBOARD_*` environment variables,
//! then an optional TOML file, then built-in defaults.
//!
//! clap already resolves flags over environment over defaults, and shows
//! every variable in `--help`. The file is slotted in underneath the
//! environment rather than beside clap: each key of the file that is not
//! already set in the environment is exported as its `CROSSBOARD_<KEY>`
//! variable before clap parses. So the file can set exactly what the
//! environment can, with the same names (the variable without its prefix,
//! in lower case: `addr`, `data`, `tz`, `demo`, `log_json`, ...), nothing
//! needs a second parser, and precedence is right by construction.
//!
//! An unknown key is an error naming the key, so a typo never silently
//! falls back to a default.

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::{bail, Context};

/// The variable that names the file when `--config` is not given.
pub const CONFIG_ENV: &str = "CROSSBOARD_CONFIG";
const PREFIX: &str = "CROSSBOARD_";

/// Variables read outside clap that the file may set too.
const EXTRA_VARS: [&str; 2] = ["CROSSBOARD_LEADER_TOKEN", "CROSSBOARD_LOG"];

/// The config file named by `--config FILE` / `--config=FILE` in `args`,
/// else by `CROSSBOARD_CONFIG`.
pub fn config_path(args: &[OsString]) -> Option<PathBuf> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let Some(s) = a.to_str() else { continue };
        if s == "--" {
            break;
        }
        if s == "--config" {
            return it.next().map(PathBuf::from);
        }
        if let Some(v) = s.strip_prefix("--config=") {
            return Some(PathBuf::from(v));
        }
    }
    std::env::var_os(CONFIG_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Every `CROSSBOARD_*` variable the command line reads, from clap's own
/// definition (so a new flag with an `env` is configurable at once).
pub fn known_vars(cmd: &clap::Command) -> Vec<String> {
    fn walk(cmd: &clap::Command, out: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            if let Some(env) = arg.get_env().and_then(|e| e.to_str()) {
                if env.starts_with(PREFIX) && env != CONFIG_ENV && !out.iter().any(|o| o == env) {
                    out.push(env.to_string());
                }
            }
        }
        for sub in cmd.get_subcommands() {
            walk(sub, out);
        }
    }
    let mut out = Vec::new();
    walk(cmd, &mut out);
    for v in EXTRA_VARS {
        if !out.iter().any(|o| o == v) {
            out.push(v.to_string());
        }
    }
    out.sort();
    out
}

/// The `(variable, value)` pairs a TOML text sets, refusing unknown keys
/// and values that are not a string, number or boolean.
pub fn parse(text: &str, known: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    let table: toml::Table = text.parse().context("not valid TOML")?;
    let mut out = Vec::new();
    for (key, value) in table {
        let var = format!("{PREFIX}{}", key.to_ascii_uppercase().replace('-', "_"));
        if !known.contains(&var) {
            let keys: Vec<String> = known
                .iter()
                .map(|k| k.trim_start_matches(PREFIX).to_ascii_lowercase())
                .collect();
            bail!("unknown key '{key}'; known keys: {}", keys.join(", "));
        }
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            _ => bail!("'{key}' must be a string, number or boolean"),
        };
        out.push((var, value));
    }
    Ok(out)
}

/// Reads the config file, if one is named, and exports each of its keys
/// that the environment does not already set. Call before parsing the
/// command line and before any thread starts (it changes the environment).
/// Returns the file used.
pub fn apply_file_layer(args: &[OsString], cmd: &clap::Command) -> anyhow::Result<Option<PathBuf>> {
    let Some(path) = config_path(args) else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    let pairs = parse(&text, &known_vars(cmd))
        .with_context(|| format!("in the config file {}", path.display()))?;
    for (var, value) in pairs {
        if std::env::var_os(&var).is_none() {
            std::env::set_var(var, value);
        }
    }
    Ok(Some(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_keys_to_variables_and_refuses_unknown_ones() {
        let known = vec!["CROSSBOARD_ADDR".to_string(), "CROSSBOARD_DEMO".into()];
        let pairs = parse("addr = \"0.0.0.0:80\"\ndemo = true\n", &known).unwrap();
        assert_eq!(
            pairs,
            vec![
                ("CROSSBOARD_ADDR".to_string(), "0.0.0.0:80".to_string()),
                ("CROSSBOARD_DEMO".to_string(), "true".to_string())
            ]
        );
        let e = parse("adr = 1", &known).unwrap_err().to_string();
        assert!(e.contains("unknown key 'adr'") && e.contains("addr"), "{e}");
        assert!(parse("addr = [1]", &known).is_err());
    }

    #[test]
    fn finds_the_file_in_args() {
        let args = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            config_path(&args(&["crossboard", "serve", "--config", "a.toml"])),
            Some(PathBuf::from("a.toml"))
        );
        assert_eq!(
            config_path(&args(&["crossboard", "--config=b.toml", "serve"])),
            Some(PathBuf::from("b.toml"))
        );
    }
}
