//! `/etc/ocfs2/cluster.conf`: stanzas (`cluster:`, `node:`, `heartbeat:`) at the
//! start of a line, each followed by indented `key = value` attributes.
//!
//! Values are kept exactly as o2cb reads them: everything after `=` to the end
//! of the line, trimmed, so a `# comment` after a value is part of it. The typed
//! accessors ([`ClusterConf::nodes`], ...) use the value before any `#`, which is
//! what the author meant; the lint reports the comment.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use super::{split_comment, Diagnostic, Severity};
use crate::layout::node::NodeNum;

/// One `key = value` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    /// 1-based line number.
    pub line: usize,
    /// The key.
    pub key: String,
    /// The value exactly as o2cb reads it (trimmed, inline comment included).
    pub raw: String,
}

impl Attr {
    /// The value before any inline comment.
    pub fn value(&self) -> &str {
        split_comment(&self.raw).0
    }
    /// The inline comment after the value, if any.
    pub fn inline_comment(&self) -> Option<&str> {
        split_comment(&self.raw).1
    }
}

/// A stanza: its kind (`cluster`, `node`, `heartbeat`, ...) and attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stanza {
    /// 1-based line of the `kind:` header.
    pub line: usize,
    /// The stanza kind.
    pub kind: String,
    /// Attributes in file order.
    pub attrs: Vec<Attr>,
}

impl Stanza {
    /// The first attribute named `key`.
    pub fn attr(&self, key: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.key == key)
    }
    fn value(&self, key: &str) -> Option<&str> {
        self.attr(key).map(Attr::value)
    }
}

/// A `cluster:` stanza.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// Line of the stanza.
    pub line: usize,
    /// `name`.
    pub name: String,
    /// `node_count`, when it is a number.
    pub node_count: Option<u32>,
    /// `heartbeat_mode` (`local` when absent).
    pub heartbeat_mode: String,
}

/// A `node:` stanza.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Line of the stanza.
    pub line: usize,
    /// `number`, when it is a number.
    pub number: Option<NodeNum>,
    /// `name`.
    pub name: String,
    /// `ip_address`.
    pub ip_address: String,
    /// `ip_port`.
    pub ip_port: String,
    /// `cluster`.
    pub cluster: String,
}

/// A `heartbeat:` stanza (a global heartbeat region).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatRegion {
    /// Line of the stanza.
    pub line: usize,
    /// `region`: the UUID of the heartbeat device (32 hex digits).
    pub region: String,
    /// `cluster`.
    pub cluster: String,
}

/// A parsed cluster.conf.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClusterConf {
    /// Stanzas in file order.
    pub stanzas: Vec<Stanza>,
    syntax: Vec<Diagnostic>,
}

const CLUSTER_KEYS: &[&str] = &["name", "node_count", "heartbeat_mode"];
const NODE_KEYS: &[&str] = &["number", "name", "ip_address", "ip_port", "cluster"];
const HEARTBEAT_KEYS: &[&str] = &["region", "cluster"];

impl ClusterConf {
    /// Parses the text; lines that fit no rule are kept as lint errors.
    pub fn parse(text: &str) -> ClusterConf {
        let mut conf = ClusterConf::default();
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let indented = line.starts_with([' ', '\t']);
            if !indented && trimmed.ends_with(':') && !trimmed.contains('=') {
                let kind = trimmed.trim_end_matches(':').trim().to_string();
                conf.stanzas.push(Stanza { line: n, kind, attrs: Vec::new() });
                continue;
            }
            let Some((key, raw)) = trimmed.split_once('=') else {
                conf.syntax.push(Diagnostic::new(
                    n,
                    Severity::Error,
                    format!("not a stanza header (`name:`) nor a `key = value` attribute: {trimmed:?}"),
                ));
                continue;
            };
            let attr = Attr { line: n, key: key.trim().to_string(), raw: raw.trim().to_string() };
            match conf.stanzas.last_mut() {
                Some(s) => {
                    if !indented {
                        conf.syntax.push(Diagnostic::new(
                            n,
                            Severity::Warning,
                            format!("attribute `{}` is not indented; o2cb expects a tab before it", attr.key),
                        ));
                    }
                    s.attrs.push(attr);
                }
                None => conf.syntax.push(Diagnostic::new(
                    n,
                    Severity::Error,
                    format!("attribute `{}` before any stanza header", attr.key),
                )),
            }
        }
        conf
    }

    /// The `cluster:` stanzas.
    pub fn clusters(&self) -> Vec<Cluster> {
        self.of_kind("cluster")
            .map(|s| Cluster {
                line: s.line,
                name: s.value("name").unwrap_or_default().to_string(),
                node_count: s.value("node_count").and_then(|v| v.parse().ok()),
                heartbeat_mode: s.value("heartbeat_mode").unwrap_or("local").to_string(),
            })
            .collect()
    }

    /// The `node:` stanzas.
    pub fn nodes(&self) -> Vec<Node> {
        self.of_kind("node")
            .map(|s| Node {
                line: s.line,
                number: s.value("number").and_then(|v| v.parse().ok()).map(NodeNum),
                name: s.value("name").unwrap_or_default().to_string(),
                ip_address: s.value("ip_address").unwrap_or_default().to_string(),
                ip_port: s.value("ip_port").unwrap_or_default().to_string(),
                cluster: s.value("cluster").unwrap_or_default().to_string(),
            })
            .collect()
    }

    /// The `heartbeat:` stanzas (global heartbeat regions).
    pub fn heartbeat_regions(&self) -> Vec<HeartbeatRegion> {
        self.of_kind("heartbeat")
            .map(|s| HeartbeatRegion {
                line: s.line,
                region: s.value("region").unwrap_or_default().to_string(),
                cluster: s.value("cluster").unwrap_or_default().to_string(),
            })
            .collect()
    }

    /// Node number → name, for the nodes of `cluster` (or of every cluster when
    /// `None`).
    pub fn node_names(&self, cluster: Option<&str>) -> HashMap<NodeNum, String> {
        self.nodes()
            .into_iter()
            .filter(|n| match cluster {
                Some(c) => n.cluster == c,
                None => true,
            })
            .filter_map(|n| n.number.map(|num| (num, n.name)))
            .collect()
    }

    fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Stanza> + 'a {
        self.stanzas.iter().filter(move |s| s.kind == kind)
    }

    /// Lints the file: syntax, inline comments, required and unknown keys,
    /// node_count against the nodes listed, duplicate node numbers, names and
    /// ip:port, nodes and regions naming an unknown cluster, bad IPv4 addresses
    /// and ports, heartbeat modes. Sorted by line.
    pub fn lint(&self) -> Vec<Diagnostic> {
        let mut out = self.syntax.clone();
        let err = |out: &mut Vec<Diagnostic>, line, msg: String| out.push(Diagnostic::new(line, Severity::Error, msg));
        let warn =
            |out: &mut Vec<Diagnostic>, line, msg: String| out.push(Diagnostic::new(line, Severity::Warning, msg));

        for s in &self.stanzas {
            let known: &[&str] = match s.kind.as_str() {
                "cluster" => CLUSTER_KEYS,
                "node" => NODE_KEYS,
                "heartbeat" => HEARTBEAT_KEYS,
                other => {
                    warn(&mut out, s.line, format!("unknown stanza `{other}:` (o2cb knows cluster, node, heartbeat)"));
                    continue;
                }
            };
            for a in &s.attrs {
                if let Some(c) = a.inline_comment() {
                    err(
                        &mut out,
                        a.line,
                        format!(
                            "inline comment after the value of `{}`: o2cb reads the value as {:?}, comment \
                             included; move {c:?} to a line of its own",
                            a.key, a.raw
                        ),
                    );
                }
                if !known.contains(&a.key.as_str()) {
                    warn(&mut out, a.line, format!("unknown attribute `{}` in a {} stanza", a.key, s.kind));
                }
                if let Some(first) = s.attrs.iter().find(|b| b.key == a.key).filter(|b| b.line != a.line) {
                    err(
                        &mut out,
                        a.line,
                        format!("`{}` given again in the same {} stanza (first at line {})", a.key, s.kind, first.line),
                    );
                }
            }
            let required: &[&str] = match s.kind.as_str() {
                "cluster" => &["name", "node_count"],
                _ => known,
            };
            for key in required {
                match s.attr(key) {
                    None => err(&mut out, s.line, format!("{} stanza without `{key}`", s.kind)),
                    Some(a) if a.value().is_empty() => err(&mut out, a.line, format!("`{key}` has no value")),
                    Some(_) => {}
                }
            }
        }

        let clusters = self.clusters();
        let nodes = self.nodes();
        let mut cluster_lines: HashMap<&str, usize> = HashMap::new();
        for c in &clusters {
            if let Some(first) = cluster_lines.insert(&c.name, c.line) {
                err(&mut out, c.line, format!("cluster `{}` defined again (first at line {first})", c.name));
            }
            let stanza = self.stanzas.iter().find(|s| s.line == c.line);
            let count_attr = stanza.and_then(|s| s.attr("node_count"));
            let listed = nodes.iter().filter(|n| n.cluster == c.name).count();
            match (count_attr, c.node_count) {
                (Some(a), None) if !a.value().is_empty() => {
                    err(&mut out, a.line, format!("node_count {:?} is not a number", a.value()))
                }
                (Some(a), Some(count)) if count as usize != listed => err(
                    &mut out,
                    a.line,
                    format!("node_count = {count} but {listed} node stanza(s) name cluster `{}`", c.name),
                ),
                _ => {}
            }
            let mode_line = stanza.and_then(|s| s.attr("heartbeat_mode")).map_or(c.line, |a| a.line);
            let regions = self.heartbeat_regions().into_iter().filter(|r| r.cluster == c.name).count();
            match c.heartbeat_mode.as_str() {
                "local" if regions > 0 => warn(
                    &mut out,
                    mode_line,
                    format!("cluster `{}` uses local heartbeat; its {regions} heartbeat region(s) are unused", c.name),
                ),
                "local" => {}
                "global" if regions == 0 => err(
                    &mut out,
                    mode_line,
                    format!("cluster `{}` uses global heartbeat but no heartbeat: stanza names it", c.name),
                ),
                "global" if regions < 3 => warn(
                    &mut out,
                    mode_line,
                    format!(
                        "cluster `{}` has {regions} global heartbeat region(s); with fewer than 3, losing one \
                         region can fence every node",
                        c.name
                    ),
                ),
                "global" => {}
                other => err(&mut out, mode_line, format!("heartbeat_mode {other:?}: expected local or global")),
            }
        }

        let mut numbers: HashMap<(&str, NodeNum), usize> = HashMap::new();
        let mut names: HashMap<(&str, &str), usize> = HashMap::new();
        let mut endpoints: HashMap<(&str, String), usize> = HashMap::new();
        for n in &nodes {
            let stanza = self.stanzas.iter().find(|s| s.line == n.line);
            let line_of = |key: &str| stanza.and_then(|s| s.attr(key)).map_or(n.line, |a| a.line);
            if !n.cluster.is_empty() && !cluster_lines.contains_key(n.cluster.as_str()) {
                err(&mut out, line_of("cluster"), format!("node `{}` names unknown cluster `{}`", n.name, n.cluster));
            }
            match (n.number, stanza.and_then(|s| s.attr("number"))) {
                (Some(num), _) if num.heartbeat_slot().is_none() => {
                    err(&mut out, line_of("number"), format!("node number {num}: o2cb node numbers are 0..=254"))
                }
                (Some(num), _) => {
                    if let Some(first) = numbers.insert((&n.cluster, num), n.line) {
                        err(
                            &mut out,
                            line_of("number"),
                            format!("node number {num} used again (first at line {first})"),
                        );
                    }
                }
                (None, Some(a)) if !a.value().is_empty() => {
                    err(&mut out, a.line, format!("node number {:?} is not a number", a.value()))
                }
                _ => {}
            }
            if !n.name.is_empty() {
                if let Some(first) = names.insert((&n.cluster, &n.name), n.line) {
                    err(
                        &mut out,
                        line_of("name"),
                        format!("node name `{}` used again (first at line {first})", n.name),
                    );
                }
            }
            let ip_ok = n.ip_address.is_empty() || n.ip_address.parse::<Ipv4Addr>().is_ok();
            if !ip_ok {
                err(&mut out, line_of("ip_address"), format!("ip_address {:?} is not an IPv4 address", n.ip_address));
            }
            let port_ok = n.ip_port.is_empty() || n.ip_port.parse::<u16>().is_ok_and(|p| p != 0);
            if !port_ok {
                err(&mut out, line_of("ip_port"), format!("ip_port {:?} is not a port (1..=65535)", n.ip_port));
            }
            if ip_ok && port_ok && !n.ip_address.is_empty() && !n.ip_port.is_empty() {
                let ep = format!("{}:{}", n.ip_address, n.ip_port);
                if let Some(first) = endpoints.insert((&n.cluster, ep.clone()), n.line) {
                    err(&mut out, line_of("ip_address"), format!("{ep} used again (first at line {first})"));
                }
            }
        }

        let mut regions: HashMap<&str, usize> = HashMap::new();
        let hb = self.heartbeat_regions();
        for r in &hb {
            let stanza = self.stanzas.iter().find(|s| s.line == r.line);
            let line_of = |key: &str| stanza.and_then(|s| s.attr(key)).map_or(r.line, |a| a.line);
            if !r.region.is_empty() && (r.region.len() != 32 || !r.region.bytes().all(|b| b.is_ascii_hexdigit())) {
                err(
                    &mut out,
                    line_of("region"),
                    format!("region {:?} is not a volume UUID (32 hex digits, no dashes)", r.region),
                );
            }
            if !r.cluster.is_empty() && !cluster_lines.contains_key(r.cluster.as_str()) {
                err(&mut out, line_of("cluster"), format!("heartbeat region names unknown cluster `{}`", r.cluster));
            }
            if let Some(first) = regions.insert(&r.region, r.line) {
                err(&mut out, line_of("region"), format!("region {} listed again (first at line {first})", r.region));
            }
        }
        if clusters.is_empty() && !self.stanzas.is_empty() {
            err(&mut out, 0, "no cluster: stanza".to_string());
        }
        out.sort_by_key(|d| (d.line, std::cmp::Reverse(d.severity)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const CLEAN: &str = "\
cluster:
\tnode_count = 2
\theartbeat_mode = local
\tname = ocfs2

node:
\tip_port = 7777
\tip_address = 192.168.56.101
\tnumber = 0
\tname = node0
\tcluster = ocfs2

node:
\tip_port = 7777
\tip_address = 192.168.56.102
\tnumber = 1
\tname = node1
\tcluster = ocfs2
";

    fn errors(text: &str) -> Vec<(usize, String)> {
        ClusterConf::parse(text)
            .lint()
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| (d.line, d.message))
            .collect()
    }

    #[test]
    fn clean_file_passes_and_parses() {
        let conf = ClusterConf::parse(CLEAN);
        assert!(conf.lint().is_empty(), "{:?}", conf.lint());
        assert_eq!(conf.clusters()[0].name, "ocfs2");
        assert_eq!(conf.clusters()[0].node_count, Some(2));
        let nodes = conf.nodes();
        assert_eq!(nodes.len(), 2);
        assert_eq!((nodes[1].number, nodes[1].name.as_str(), nodes[1].line), (Some(NodeNum(1)), "node1", 13));
        assert_eq!(conf.node_names(Some("ocfs2")).get(&NodeNum(0)).map(String::as_str), Some("node0"));
    }

    #[test]
    fn inline_comments_are_kept_and_flagged() {
        let text =
            CLEAN.replace("number = 1", "number = 1   # second node").replace("name = ocfs2", "name = ocfs2 # ours");
        let conf = ClusterConf::parse(&text);
        let a = conf.stanzas[2].attr("number").unwrap();
        assert_eq!(a.raw, "1   # second node");
        assert_eq!(a.value(), "1");
        let e = errors(&text);
        let lines: Vec<usize> = e.iter().filter(|(_, m)| m.contains("inline comment")).map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![4, 16]);
    }

    #[test]
    fn counts_duplicates_and_addresses() {
        let text = CLEAN
            .replace("node_count = 2", "node_count = 3")
            .replace("number = 1", "number = 0")
            .replace("name = node1", "name = node0")
            .replace("192.168.56.102", "192.168.56.101");
        let e = errors(&text);
        assert!(e.iter().any(|(l, m)| *l == 2 && m.contains("node_count = 3 but 2")), "{e:?}");
        assert!(e.iter().any(|(l, m)| *l == 16 && m.contains("node number 0 used again (first at line 6)")), "{e:?}");
        assert!(e.iter().any(|(l, m)| *l == 17 && m.contains("node name `node0` used again")), "{e:?}");
        assert!(e.iter().any(|(l, m)| *l == 15 && m.contains("192.168.56.101:7777 used again")), "{e:?}");

        let text = CLEAN
            .replace("192.168.56.102", "192.168.56.300")
            .replace("ip_port = 7777\n\tip_address = 192.168.56.101", "ip_port = 77777\n\tip_address = 192.168.56.101")
            .replace("cluster = ocfs2\n\nnode", "cluster = other\n\nnode");
        let e = errors(&text);
        assert!(e.iter().any(|(l, m)| *l == 15 && m.contains("not an IPv4")), "{e:?}");
        assert!(e.iter().any(|(l, m)| *l == 7 && m.contains("not a port")), "{e:?}");
        assert!(e.iter().any(|(l, m)| *l == 11 && m.contains("unknown cluster `other`")), "{e:?}");
        assert!(e.iter().any(|(l, m)| *l == 2 && m.contains("node_count = 2 but 1")), "{e:?}");
    }

    #[test]
    fn syntax_and_heartbeat_stanzas() {
        let text = format!(
            "{}\nheartbeat:\n\tregion = 0123456789ABCDEF0123456789ABCDEF\n\tcluster = ocfs2\n\nheartbeat:\n\tregion = nope\n\tcluster = ocfs2\ngarbage\n",
            CLEAN.replace("heartbeat_mode = local", "heartbeat_mode = global")
        );
        let conf = ClusterConf::parse(&text);
        assert_eq!(conf.heartbeat_regions().len(), 2);
        let d = conf.lint();
        assert!(d
            .iter()
            .any(|d| d.line == 25 && d.severity == Severity::Error && d.message.contains("not a volume UUID")));
        assert!(d
            .iter()
            .any(|d| d.line == 27 && d.severity == Severity::Error && d.message.contains("not a stanza header")));
        assert!(d.iter().any(|d| d.line == 3 && d.severity == Severity::Warning && d.message.contains("fewer than 3")));
        let no_regions = CLEAN.replace("heartbeat_mode = local", "heartbeat_mode = global");
        assert!(errors(&no_regions).iter().any(|(l, m)| *l == 3 && m.contains("no heartbeat: stanza")));
        assert!(errors(&CLEAN.replace("heartbeat_mode = local", "heartbeat_mode = disk")).iter().any(|(l, _)| *l == 3));
    }
}
