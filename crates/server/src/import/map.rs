//! `--project-map`: which confab project a seed project's conversations go to.

use std::collections::HashMap;

use anyhow::{Context, bail};
use uuid::Uuid;

/// Seed project id → confab project id; unmapped projects keep their id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProjectMap(HashMap<Uuid, Uuid>);

impl ProjectMap {
    /// A file of `SEED=CONFAB` lines (`#` comments, blank lines), or the pairs inline,
    /// comma-separated.
    pub fn parse(arg: Option<&str>) -> anyhow::Result<Self> {
        let Some(arg) = arg else {
            return Ok(Self::default());
        };
        let path = std::path::Path::new(arg);
        let text = if path.is_file() {
            std::fs::read_to_string(path)
                .with_context(|| format!("reading --project-map {}", path.display()))?
        } else if arg.contains('=') {
            arg.replace(',', "\n")
        } else {
            bail!("--project-map {arg:?}: no such file, and not SEED_ID=CONFAB_ID pairs");
        };
        let mut map = HashMap::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let (seed, confab) = pair(line)
                .with_context(|| format!("--project-map entry {} ({line:?})", number + 1))?;
            if map.insert(seed, confab).is_some() {
                bail!("--project-map maps the seed project {seed} twice");
            }
        }
        Ok(Self(map))
    }

    /// Where the seed project's conversations go.
    pub fn target(&self, seed: Uuid) -> Uuid {
        self.0.get(&seed).copied().unwrap_or(seed)
    }

    /// The seed project ids the map mentions (checked against the source before importing).
    pub fn seeds(&self) -> impl Iterator<Item = &Uuid> {
        self.0.keys()
    }
}

fn pair(line: &str) -> anyhow::Result<(Uuid, Uuid)> {
    let (seed, confab) = line
        .split_once('=')
        .context("expected SEED_PROJECT_ID=CONFAB_PROJECT_ID")?;
    let seed = Uuid::parse_str(seed.trim()).context("the seed project id is not a UUID")?;
    let confab = Uuid::parse_str(confab.trim()).context("the confab project id is not a UUID")?;
    Ok((seed, confab))
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "11111111-1111-4111-8111-111111111111";
    const B: &str = "22222222-2222-4222-8222-222222222222";
    const C: &str = "33333333-3333-4333-8333-333333333333";

    #[test]
    fn inline_pairs_and_files_say_the_same() {
        let inline = ProjectMap::parse(Some(&format!("{A}={B}, {C}={B}"))).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("map.txt");
        std::fs::write(
            &file,
            format!("# seed=confab\n{A} = {B}\n\n{C}={B} # support\n"),
        )
        .unwrap();
        let from_file = ProjectMap::parse(file.to_str()).unwrap();
        assert_eq!(inline, from_file);
        let a = Uuid::parse_str(A).unwrap();
        let b = Uuid::parse_str(B).unwrap();
        assert_eq!(inline.target(a), b);
        assert_eq!(inline.target(b), b, "unmapped ids stay");
    }

    #[test]
    fn bad_maps_are_refused_with_the_line() {
        let err = ProjectMap::parse(Some(&format!("{A}=nope"))).unwrap_err();
        assert!(format!("{err:#}").contains("entry 1"), "{err:#}");
        assert!(ProjectMap::parse(Some("/no/such/file")).is_err());
        assert!(ProjectMap::parse(Some(&format!("{A}={B},{A}={C}"))).is_err());
    }
}
