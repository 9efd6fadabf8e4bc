//! The declarations written out for people and other tools: the data dictionary's tables
//! (Markdown), the per-table DuckDB views (SQL) and a JSON contract that the DuckDB check
//! reads. `mpfs schema` prints them; the tests below fail when docs/data-dictionary.md or
//! sql/*.sql disagree with the declarations (`make schema-docs` rewrites the generated
//! parts).

use std::fmt::Write;

use super::{Layout, Presence, TABLES, TableDef};

/// Where a table's files are, as the dictionary and the JSON contract show it.
pub fn path_pattern(table: &TableDef) -> String {
    match table.layout {
        Layout::Partitioned => format!("{}/year=YYYY/release=X/part-0.parquet", table.name),
        Layout::Single => table.file().display().to_string(),
        Layout::Pairs => format!("{}/from=ID/to=ID/part-0.parquet", table.name),
        Layout::Output => "the `--out` file".to_string(),
    }
}

/// One table's section of the data dictionary.
pub fn markdown_table(table: &TableDef) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### `{}`\n", table.name);
    let _ = writeln!(
        out,
        "{} ({}). {}\n",
        capitalised(table.grain),
        match table.layout {
            Layout::Output => path_pattern(table),
            _ => format!("`{}`", path_pattern(table)),
        },
        table.about
    );
    out.push_str("| column | type | meaning |\n|---|---|---|\n");
    for column in table.columns {
        let meaning = match column.presence {
            Presence::Always => column.meaning.to_string(),
            Presence::Optional(option) => format!("{} (only with `{option}`)", column.meaning),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            column.name,
            column.ty.doc(),
            meaning.replace('|', "\\|")
        );
    }
    if table.layout == Layout::Partitioned {
        out.push_str("| year, release | integer, text | hive keys from the path |\n");
    }
    out
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Every table's section, in [`TABLES`] order.
pub fn markdown() -> String {
    TABLES
        .iter()
        .map(|t| markdown_table(t))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The DuckDB view over one table's files.
pub fn sql_view(table: &TableDef) -> String {
    let source = match table.layout {
        Layout::Partitioned => format!("'/{}/**/*.parquet', hive_partitioning = true", table.name),
        Layout::Single => format!("'/{}'", table.file().display()),
        Layout::Pairs => format!(
            "'/{}/**/*.parquet', hive_partitioning = false, union_by_name = true",
            table.name
        ),
        Layout::Output => unreachable!("a file for people has no view"),
    };
    format!(
        "-- {}.\nCREATE OR REPLACE VIEW {} AS\n    SELECT * FROM read_parquet(getvariable('mpfs_warehouse') || {source});\n",
        capitalised(table.grain),
        table.name
    )
}

/// The generated part of a SQL file: one view per table.
pub fn sql_views(tables: &[&TableDef]) -> String {
    tables.iter().map(|t| sql_view(t)).collect()
}

/// The tables sql/views.sql has a view of (those every build of a release writes).
pub const PFS_VIEWS: [&TableDef; 10] = [
    &super::releases::TABLE,
    &super::rvu::TABLE,
    &super::gpci::TABLE,
    &super::locality_county::TABLE,
    &super::anes_cf::TABLE,
    &super::opps_cap::TABLE,
    &super::payment::TABLE,
    &super::quarantine::TABLE,
    &super::conversion_factor::TABLE,
    &super::rvu_history::TABLE,
];

/// The tables sql/zip_views.sql has a view of.
pub const ZIP_VIEWS: [&TableDef; 3] = [
    &super::zip_locality::TABLE,
    &super::zip_releases::TABLE,
    &super::zip_locality_change::TABLE,
];

/// The tables sql/clfs_views.sql has a view of.
pub const CLFS_VIEWS: [&TableDef; 4] = [
    &super::clfs::TABLE,
    &super::clfs_releases::TABLE,
    &super::clfs_change::TABLE,
    &super::clfs_quarantine::TABLE,
];

/// The tables sql/asp_views.sql has a view of.
pub const ASP_VIEWS: [&TableDef; 4] = [
    &super::asp::TABLE,
    &super::asp_releases::TABLE,
    &super::asp_change::TABLE,
    &super::asp_quarantine::TABLE,
];

/// The contract as JSON: every table with its layout, path and columns, with the types
/// DuckDB reads them as (the BI check compares a built warehouse with this).
pub fn json() -> serde_json::Value {
    serde_json::Value::Array(
        TABLES
            .iter()
            .map(|table| {
                serde_json::json!({
                    "name": table.name,
                    "layout": format!("{:?}", table.layout).to_lowercase(),
                    "path": path_pattern(table),
                    "grain": table.grain,
                    "columns": table.columns.iter().map(|c| serde_json::json!({
                        "name": c.name,
                        "type": c.ty.sql(),
                        "optional": matches!(c.presence, Presence::Optional(_)),
                        "meaning": c.meaning,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

/// Markers around the generated part of a file.
pub const BEGIN: &str = "BEGIN GENERATED";
pub const END: &str = "END GENERATED";

/// The text between the markers of `file` (the lines after the line holding [`BEGIN`] up
/// to the line holding [`END`]), or `None` without markers.
pub fn generated_part(file: &str) -> Option<&str> {
    let begin = file.find(BEGIN)?;
    let start = begin + file[begin..].find('\n')? + 1;
    let end = start + file[start..].find(END)?;
    let end = file[..end].rfind('\n').map_or(start, |i| i + 1).max(start);
    Some(&file[start..end])
}

/// `file` with its generated part replaced by `generated`.
pub fn with_generated(file: &str, generated: &str) -> Option<String> {
    let part = generated_part(file)?;
    let start = part.as_ptr() as usize - file.as_ptr() as usize;
    Some(format!(
        "{}{generated}{}",
        &file[..start],
        &file[start + part.len()..]
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use super::*;

    fn repository_file(relative: &str) -> (PathBuf, String) {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{relative}: {e}"));
        (path, text)
    }

    /// Compares a file's generated part with what the declarations generate; with
    /// `MPFS_BLESS=1` (`make schema-docs`) rewrites it instead.
    fn assert_generated(relative: &str, generated: &str) {
        let (path, text) = repository_file(relative);
        let part = generated_part(&text)
            .unwrap_or_else(|| panic!("{relative} has no `{BEGIN}` ... `{END}` markers"));
        if part == generated {
            return;
        }
        if std::env::var_os("MPFS_BLESS").is_some() {
            std::fs::write(&path, with_generated(&text, generated).unwrap()).unwrap();
            return;
        }
        panic!(
            "{relative} disagrees with the table declarations in src/schema (run `make schema-docs`):\n--- file\n{part}\n--- declarations\n{generated}"
        );
    }

    #[test]
    fn the_data_dictionary_is_the_declarations() {
        assert_generated("docs/data-dictionary.md", &markdown());
    }

    #[test]
    fn the_per_table_views_are_the_declarations() {
        assert_generated("sql/views.sql", &sql_views(&PFS_VIEWS));
        assert_generated("sql/zip_views.sql", &sql_views(&ZIP_VIEWS));
        assert_generated("sql/clfs_views.sql", &sql_views(&CLFS_VIEWS));
        assert_generated("sql/asp_views.sql", &sql_views(&ASP_VIEWS));
    }

    /// Every `alias.column` in the hand-written views names a declared column of the table
    /// (or view) the alias stands for, and every `USING (...)` column is declared in both
    /// joined tables.
    #[test]
    fn the_hand_written_views_name_declared_columns() {
        for file in [
            "sql/views.sql",
            "sql/zip_views.sql",
            "sql/clfs_views.sql",
            "sql/asp_views.sql",
        ] {
            let (_, text) = repository_file(file);
            let written = text.replace(generated_part(&text).unwrap(), "");
            let statements: Vec<&str> = written
                .split(';')
                .filter(|s| s.contains("CREATE OR REPLACE VIEW"))
                .collect();
            for statement in statements {
                let sql: String = statement
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("--"))
                    .collect::<Vec<_>>()
                    .join(" ");
                let words: Vec<&str> = sql
                    .split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')')
                    .filter(|w| !w.is_empty())
                    .collect();
                // `FROM t a` / `JOIN t a`: alias a stands for table t.
                let mut aliases: BTreeMap<&str, &TableDef> = BTreeMap::new();
                for pair in words.windows(3) {
                    if matches!(pair[0], "FROM" | "JOIN")
                        && let Some(table) = super::super::table(pair[1])
                    {
                        aliases.insert(pair[2], table);
                        aliases.insert(pair[1], table);
                    }
                }
                for word in &words {
                    let Some((alias, column)) = word.split_once('.') else {
                        continue;
                    };
                    let column =
                        column.trim_end_matches(|c: char| !c.is_alphanumeric() && c != '_');
                    if column == "*" || column.is_empty() {
                        continue;
                    }
                    let Some(table) = aliases.get(alias) else {
                        continue; // a view defined above, not a table
                    };
                    let hive =
                        table.layout == Layout::Partitioned && matches!(column, "year" | "release");
                    assert!(
                        hive || table.column(column).is_some(),
                        "{file}: {alias}.{column} is not a column of {} (src/schema)",
                        table.name
                    );
                }
            }
        }
    }

    #[test]
    fn generated_parts_are_found_and_replaced() {
        let file = "head\n-- BEGIN GENERATED by x\nold\n-- END GENERATED\ntail\n";
        assert_eq!(generated_part(file), Some("old\n"));
        assert_eq!(
            with_generated(file, "new\nlines\n").unwrap(),
            "head\n-- BEGIN GENERATED by x\nnew\nlines\n-- END GENERATED\ntail\n"
        );
    }

    #[test]
    fn the_contract_lists_every_table_with_duckdb_types() {
        let json = json();
        let rvu = json
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "rvu")
            .unwrap();
        assert_eq!(rvu["path"], "rvu/year=YYYY/release=X/part-0.parquet");
        let work = rvu["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "work_rvu")
            .unwrap();
        assert_eq!(work["type"], "DECIMAL(9,2)");
    }
}
