//! `mpfs config`: the effective settings and where each comes from.

use crate::cli::ConfigArgs;
use crate::commands::{Outcome, settings};

pub fn run(args: &ConfigArgs) -> anyhow::Result<Outcome> {
    let settings = settings(&args.settings)?;
    match &settings.file {
        Some(file) => println!("settings file: {}", file.display()),
        None => println!("settings file: none (defaults, environment and flags only)"),
    }
    for (name, value, origin, help) in settings.describe() {
        println!("{name:<21} = {value:<32} ({origin})  {help}");
    }
    Ok(Outcome::Success)
}
