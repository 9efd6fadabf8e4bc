//! `mpfs schema`: the warehouse's table declarations, printed as the data dictionary
//! (Markdown), as the contract tools read (JSON), or as one DuckDB view per table (SQL).

use anyhow::bail;

use crate::cli::{SchemaArgs, SchemaFormat};
use crate::commands::Outcome;
use crate::schema::{Layout, TABLES, TableDef, docs};

pub fn run(args: &SchemaArgs) -> anyhow::Result<Outcome> {
    let mut tables: Vec<&TableDef> = Vec::new();
    for name in &args.tables {
        match crate::schema::table(name) {
            Some(table) => tables.push(table),
            None => bail!(
                "no table '{name}' (tables: {})",
                TABLES.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
            ),
        }
    }
    if tables.is_empty() {
        tables = TABLES.to_vec();
    }
    match args.format {
        SchemaFormat::Markdown => {
            let sections: Vec<String> = tables.iter().map(|t| docs::markdown_table(t)).collect();
            print!("{}", sections.join("\n"));
        }
        SchemaFormat::Json => {
            let names: Vec<&str> = tables.iter().map(|t| t.name).collect();
            let json: Vec<serde_json::Value> = docs::json()
                .as_array()
                .expect("the contract is a list")
                .iter()
                .filter(|t| names.iter().any(|n| t["name"] == *n))
                .cloned()
                .collect();
            println!("{}", serde_json::to_string_pretty(&json)?);
        }
        SchemaFormat::Sql => {
            let viewable: Vec<&TableDef> = tables
                .into_iter()
                .filter(|t| t.layout != Layout::Output)
                .collect();
            println!(
                "SET VARIABLE mpfs_warehouse = COALESCE(getvariable('mpfs_warehouse'), 'data/warehouse');"
            );
            print!("{}", docs::sql_views(&viewable));
        }
    }
    Ok(Outcome::Success)
}
