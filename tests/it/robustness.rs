//! Truncated, reordered and random bytes into every parser: an error or a result, never a
//! panic. Mutations come from a fixed-seed generator, so a failure reproduces.

use mpfs::transform::archive::{FileFormat, FileKind, ReleaseArchive};
use mpfs::transform::{TransformOptions, anes, gpci, locco, oppscap, pprrvu, transform_release};
use mpfs_synth::Rng;

use crate::support::fixture_release;

fn mutations(bytes: &[u8], rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for i in 0..=20 {
        out.push(bytes[..bytes.len() * i / 20].to_vec());
    }
    for _ in 0..20 {
        let mut copy = bytes.to_vec();
        for _ in 0..1 + rng.below(8) as usize {
            let at = rng.below(copy.len() as u64) as usize;
            if let Some(b) = copy.get_mut(at) {
                *b = rng.next_u64() as u8;
            }
        }
        out.push(copy);
    }
    let mut lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    for _ in 0..5 {
        for i in (1..lines.len()).rev() {
            lines.swap(i, rng.below(i as u64 + 1) as usize);
        }
        out.push(lines.join(&b'\n'));
    }
    for _ in 0..10 {
        out.push(
            (0..rng.below(4000) as usize)
                .map(|_| rng.next_u64() as u8)
                .collect(),
        );
    }
    out
}

fn parse_any(kind: FileKind, format: FileFormat, bytes: &[u8]) {
    let file = "mutated";
    match kind {
        FileKind::Pprrvu => drop(pprrvu::parse(file, format, bytes)),
        FileKind::Gpci => drop(gpci::parse(file, format, bytes)),
        FileKind::Locco => drop(locco::parse(file, format, bytes)),
        FileKind::Anes => drop(anes::parse(file, format, bytes)),
        FileKind::Oppscap => drop(oppscap::parse(file, format, bytes)),
    }
}

#[test]
fn no_parser_panics_on_damaged_input() {
    let mut rng = Rng::new(0x5eed_1234_abcd_0042);
    let release = fixture_release("rvu26a.zip");
    let zip = release.zip();
    let archive =
        ReleaseArchive::from_bytes(std::path::Path::new("rvu26a.zip"), zip.clone()).unwrap();
    let mut cases = 0;
    for member in archive.members() {
        let bytes = &release
            .members
            .iter()
            .find(|(name, _)| *name == member.path)
            .unwrap()
            .1;
        for damaged in mutations(bytes, &mut rng) {
            // Every kind's parser gets every damaged member, not only its own kind.
            for kind in FileKind::ALL {
                parse_any(kind, member.format, &damaged);
                cases += 1;
            }
        }
    }
    for damaged in mutations(&zip, &mut rng) {
        if let Ok(mut archive) = ReleaseArchive::from_bytes(std::path::Path::new("x.zip"), damaged)
        {
            let _ = transform_release(
                &"2026A".parse().unwrap(),
                &mut archive,
                &TransformOptions::default(),
            );
        }
        cases += 1;
    }
    assert!(cases > 5_000, "{cases} cases");
}
