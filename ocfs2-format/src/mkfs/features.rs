//! Feature sets as mkfs chooses them: the three levels, the `--fs-features`
//! grammar (`[no]name,...`) with its dependencies, and the order mkfs names them in.

use crate::error::{Error, InvalidKind, Result};
use crate::layout::superblock::{compat, incompat, ro_compat};

/// The three feature words of a superblock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Features {
    /// `s_feature_compat`.
    pub compat: u32,
    /// `s_feature_incompat`.
    pub incompat: u32,
    /// `s_feature_ro_compat`.
    pub ro_compat: u32,
}

impl Features {
    /// Builds a feature set from its three words.
    pub const fn new(compat: u32, incompat: u32, ro_compat: u32) -> Self {
        Features { compat, incompat, ro_compat }
    }

    /// Whether any bit of `other` is also set here.
    pub fn intersects(&self, other: &Features) -> bool {
        self.compat & other.compat != 0 || self.incompat & other.incompat != 0 || self.ro_compat & other.ro_compat != 0
    }

    /// Sets every bit of `other`.
    pub fn insert(&mut self, other: Features) {
        self.compat |= other.compat;
        self.incompat |= other.incompat;
        self.ro_compat |= other.ro_compat;
    }

    /// Clears every bit of `other`.
    pub fn remove(&mut self, other: Features) {
        self.compat &= !other.compat;
        self.incompat &= !other.incompat;
        self.ro_compat &= !other.ro_compat;
    }

    /// Whether an incompat bit is set.
    pub fn has_incompat(&self, bit: u32) -> bool {
        self.incompat & bit != 0
    }

    /// Whether a ro-compat bit is set.
    pub fn has_ro_compat(&self, bit: u32) -> bool {
        self.ro_compat & bit != 0
    }

    /// Whether a compat bit is set.
    pub fn has_compat(&self, bit: u32) -> bool {
        self.compat & bit != 0
    }

    /// The names of the set bits, space separated, in the order mkfs.ocfs2 and
    /// debugfs.ocfs2 print them; bits without a name print as `unknown` (once).
    pub fn names(&self) -> String {
        let mut out: Vec<&str> = Vec::new();
        let mut seen = Features::default();
        for (name, f) in NAME_ORDER {
            if self.intersects(f) {
                out.push(name);
                seen.insert(*f);
            }
        }
        if seen != *self {
            out.push("unknown");
        }
        out.join(" ")
    }
}

const fn c(b: u32) -> Features {
    Features::new(b, 0, 0)
}
const fn i(b: u32) -> Features {
    Features::new(0, b, 0)
}
const fn r(b: u32) -> Features {
    Features::new(0, 0, b)
}

/// Every named bit in print order (libocfs2's name table, which mixes the words).
const NAME_ORDER: &[(&str, Features)] = &[
    ("heartbeat-device", i(incompat::HEARTBEAT_DEV)),
    ("aborted-resize", i(incompat::RESIZE_INPROG)),
    ("local", i(incompat::LOCAL_MOUNT)),
    ("sparse", i(incompat::SPARSE_ALLOC)),
    ("extended-slotmap", i(incompat::EXTENDED_SLOT_MAP)),
    ("aborted-tunefs", i(incompat::TUNEFS_INPROG)),
    ("userspace-stack", i(incompat::USERSPACE_STACK)),
    ("backup-super", c(compat::BACKUP_SB)),
    ("unwritten", r(ro_compat::UNWRITTEN)),
    ("inline-data", i(incompat::INLINE_DATA)),
    ("strict-journal-super", c(compat::JBD2_SB)),
    ("metaecc", i(incompat::META_ECC)),
    ("xattr", i(incompat::XATTR)),
    ("indexed-dirs", i(incompat::INDEXED_DIRS)),
    ("usrquota", r(ro_compat::USRQUOTA)),
    ("grpquota", r(ro_compat::GRPQUOTA)),
    ("refcount", i(incompat::REFCOUNT_TREE)),
    ("discontig-bg", i(incompat::DISCONTIG_BG)),
    ("clusterinfo", i(incompat::CLUSTERINFO)),
    ("append-dio", i(incompat::APPEND_DIO)),
];

/// A feature `--fs-features` accepts: the bits it owns (cleared by `noNAME`) and
/// the bits turning it on sets (itself and what it needs).
struct Switch {
    name: &'static str,
    own: Features,
    needs: Features,
}

const fn sw(name: &'static str, own: Features) -> Switch {
    Switch { name, own, needs: own }
}

const SWITCHES: &[Switch] = &[
    sw("local", i(incompat::LOCAL_MOUNT)),
    sw("sparse", i(incompat::SPARSE_ALLOC)),
    sw("backup-super", c(compat::BACKUP_SB)),
    Switch {
        name: "unwritten",
        own: r(ro_compat::UNWRITTEN),
        needs: Features::new(0, incompat::SPARSE_ALLOC, ro_compat::UNWRITTEN),
    },
    sw("extended-slotmap", i(incompat::EXTENDED_SLOT_MAP)),
    sw("inline-data", i(incompat::INLINE_DATA)),
    sw("metaecc", i(incompat::META_ECC)),
    sw("xattr", i(incompat::XATTR)),
    sw("indexed-dirs", i(incompat::INDEXED_DIRS)),
    sw("usrquota", r(ro_compat::USRQUOTA)),
    sw("grpquota", r(ro_compat::GRPQUOTA)),
    sw("refcount", i(incompat::REFCOUNT_TREE)),
    sw("discontig-bg", i(incompat::DISCONTIG_BG)),
    sw("clusterinfo", i(incompat::CLUSTERINFO)),
    sw("append-dio", i(incompat::APPEND_DIO)),
];

/// The `--fs-feature-level` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FeatureLevel {
    /// The default set.
    #[default]
    Default,
    /// Only what every OCFS2 kernel mounts.
    MaxCompat,
    /// Everything, including metaecc and quotas.
    MaxFeatures,
}

impl FeatureLevel {
    /// Parses `default`, `max-compat` or `max-features`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "default" => Ok(FeatureLevel::Default),
            "max-compat" => Ok(FeatureLevel::MaxCompat),
            "max-features" => Ok(FeatureLevel::MaxFeatures),
            _ => Err(Error::invalid(
                InvalidKind::Syntax,
                format!("unknown feature level '{s}' (use default, max-compat or max-features)"),
            )),
        }
    }

    /// The features of the level. The `-T` types all share the default set, so
    /// the type does not matter here.
    pub fn features(self) -> Features {
        let base = c(compat::BACKUP_SB | compat::JBD2_SB);
        let default_incompat = incompat::SPARSE_ALLOC
            | incompat::EXTENDED_SLOT_MAP
            | incompat::INLINE_DATA
            | incompat::XATTR
            | incompat::REFCOUNT_TREE
            | incompat::INDEXED_DIRS
            | incompat::DISCONTIG_BG
            | incompat::APPEND_DIO;
        match self {
            FeatureLevel::Default => Features { incompat: default_incompat, ro_compat: ro_compat::UNWRITTEN, ..base },
            FeatureLevel::MaxCompat => base,
            FeatureLevel::MaxFeatures => Features {
                incompat: default_incompat | incompat::META_ECC,
                ro_compat: ro_compat::UNWRITTEN | ro_compat::USRQUOTA | ro_compat::GRPQUOTA,
                ..base
            },
        }
    }
}

/// A parsed `--fs-features` value: bits to turn on and bits to turn off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FeatureRequest {
    /// Bits asked for, with their dependencies.
    pub set: Features,
    /// Bits asked off, with the features that depend on them.
    pub clear: Features,
}

impl FeatureRequest {
    /// Parses a comma-separated list of `name` and `noname`. An unknown name and a
    /// feature both asked on and off (also through a dependency, as in
    /// `unwritten,nosparse`) are errors.
    pub fn parse(s: &str) -> Result<Self> {
        let mut req = FeatureRequest::default();
        for token in s.split(',').filter(|t| !t.is_empty()) {
            let (off, name) = match token.strip_prefix("no") {
                Some(rest) => (true, rest),
                None => (false, token),
            };
            let f = SWITCHES
                .iter()
                .find(|f| f.name == name)
                .ok_or_else(|| Error::invalid(InvalidKind::Syntax, format!("unknown filesystem feature '{token}'")))?;
            if off {
                req.clear.insert(f.own);
            } else {
                req.set.insert(f.needs);
            }
        }
        // Turning a feature off turns off everything that needs it.
        for f in SWITCHES {
            if req.clear.intersects(&f.needs) {
                req.clear.insert(f.own);
            }
        }
        if req.set.intersects(&req.clear) {
            return Err(Error::invalid(InvalidKind::Argument, format!("conflicting filesystem features in '{s}'")));
        }
        Ok(req)
    }

    /// The level's set with this request applied.
    pub fn apply(&self, level: FeatureLevel) -> Features {
        let mut f = level.features();
        f.insert(self.set);
        f.remove(self.clear);
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_match_reference() {
        let d = FeatureLevel::Default.features();
        assert_eq!((d.compat, d.incompat, d.ro_compat), (3, 0xb750, 1));
        let m = FeatureLevel::MaxFeatures.features();
        assert_eq!((m.compat, m.incompat, m.ro_compat), (3, 0xbf50, 7));
        let c = FeatureLevel::MaxCompat.features();
        assert_eq!((c.compat, c.incompat, c.ro_compat), (3, 0, 0));
    }

    #[test]
    fn names_in_mkfs_order() {
        assert_eq!(
            FeatureLevel::Default.features().names(),
            "sparse extended-slotmap backup-super unwritten inline-data strict-journal-super xattr \
             indexed-dirs refcount discontig-bg append-dio"
        );
        assert_eq!(Features::new(0, 0x1_0000, 0).names(), "unknown");
    }

    #[test]
    fn dependencies_and_conflicts() {
        let r = FeatureRequest::parse("unwritten").unwrap();
        assert!(r.set.has_incompat(incompat::SPARSE_ALLOC));
        let r = FeatureRequest::parse("nosparse").unwrap();
        assert!(r.clear.has_ro_compat(ro_compat::UNWRITTEN));
        assert!(FeatureRequest::parse("unwritten,nosparse").is_err());
        assert!(FeatureRequest::parse("sparse,nosparse").is_err());
        assert!(FeatureRequest::parse("bogus").is_err());
        let f = FeatureRequest::parse("noinline-data,metaecc").unwrap().apply(FeatureLevel::Default);
        assert!(!f.has_incompat(incompat::INLINE_DATA) && f.has_incompat(incompat::META_ECC));
    }
}
