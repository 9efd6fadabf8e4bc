//! `mpfs config`: the effective settings and where each comes from.

use crate::commands::Outcome;
use crate::config::Config;

pub fn run(config: &Config) -> anyhow::Result<Outcome> {
    match &config.file {
        Some(file) => println!("settings file: {}", file.display()),
        None => println!("settings file: none (defaults, environment and flags only)"),
    }
    for (name, value, origin, help) in config.describe() {
        println!("{name:<21} = {value:<32} ({origin})  {help}");
    }
    Ok(Outcome::Success)
}
