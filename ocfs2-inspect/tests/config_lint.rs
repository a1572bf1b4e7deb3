//! `config lint` on cluster.conf and /etc/default/o2cb files.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use std::path::Path;

use serde_json::Value;

/// A two-node cluster.conf as people write it, with `# ...` comments after
/// values, which o2cb reads as part of the value.
const COMMENTED: &str = "\
# /etc/ocfs2/cluster.conf for the two web servers
cluster:
\tnode_count = 2          # web1 and web2
\theartbeat_mode = local
\tname = webcluster

node:
\tip_port = 7777
\tip_address = 10.0.0.11  # web1, eth1
\tnumber = 0
\tname = web1
\tcluster = webcluster

node:
\tip_port = 7777
\tip_address = 10.0.0.12
\tnumber = 1              # second node
\tname = web2
\tcluster = webcluster
";

fn lint(files: &[&Path]) -> (bool, Value) {
    let mut args = vec!["--json", "config", "lint"];
    args.extend(files.iter().map(|p| p.to_str().unwrap()));
    let out = common::inspect(&args);
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("bad JSON ({e}): {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    });
    (out.status.success(), json)
}

fn errors(json: &Value, file: usize) -> Vec<(u64, String)> {
    json["files"][file]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| (d["line"].as_u64().unwrap(), d["message"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn inline_comments_are_flagged_and_a_clean_copy_passes() {
    let dir = tempfile::tempdir().unwrap();
    let commented = dir.path().join("cluster.conf");
    std::fs::write(&commented, COMMENTED).unwrap();
    let (ok, json) = lint(&[&commented]);
    assert!(!ok, "errors make a non-zero exit");
    assert_eq!(json["files"][0]["kind"], "cluster.conf");
    let e = errors(&json, 0);
    assert_eq!(e.iter().map(|(l, _)| *l).collect::<Vec<_>>(), vec![3, 9, 17], "{e:?}");
    assert!(e.iter().all(|(_, m)| m.contains("inline comment")), "{e:?}");
    assert!(e[1].1.contains("\"10.0.0.11  # web1, eth1\""), "the message shows what o2cb reads: {}", e[1].1);

    // The same file with the comments moved onto their own lines.
    let clean_text: String = COMMENTED
        .lines()
        .map(|l| match l.split_once('#') {
            Some((v, c)) if l.starts_with('\t') => format!("\t#{c}\n{}\n", v.trim_end()),
            _ => format!("{l}\n"),
        })
        .collect();
    let clean = dir.path().join("clean").join("cluster.conf");
    std::fs::create_dir_all(clean.parent().unwrap()).unwrap();
    std::fs::write(&clean, clean_text).unwrap();
    let (ok, json) = lint(&[&clean]);
    assert!(ok, "{json}");
    assert_eq!(json["errors"], 0);
    assert_eq!(json["warnings"], 0);
}

#[test]
fn cluster_conf_rules() {
    let dir = tempfile::tempdir().unwrap();
    let text = COMMENTED
        .replace("          # web1 and web2", "")
        .replace("  # web1, eth1", "")
        .replace("              # second node", "")
        .replace("number = 1", "number = 0")
        .replace("10.0.0.12", "10.0.0.256")
        .replace("ip_port = 7777\n\tip_address = 10.0.0.11", "ip_port = 99999\n\tip_address = 10.0.0.11")
        + "\nnode:\n\tip_port = 7777\n\tip_address = 10.0.0.13\n\tnumber = 2\n\tname = web1\n\tcluster = dbcluster\n";
    let f = dir.path().join("cluster.conf");
    std::fs::write(&f, text).unwrap();
    let (ok, json) = lint(&[&f]);
    assert!(!ok);
    let e = errors(&json, 0);
    let has = |line: u64, what: &str| e.iter().any(|(l, m)| *l == line && m.contains(what));
    assert!(has(8, "not a port"), "{e:?}");
    assert!(has(16, "not an IPv4 address"), "{e:?}");
    assert!(has(17, "node number 0 used again (first at line 7)"), "{e:?}");
    assert!(has(26, "unknown cluster `dbcluster`"), "{e:?}");
    // web1 again, but in another cluster: names are unique per cluster.
    assert!(!e.iter().any(|(_, m)| m.contains("node name")), "{e:?}");
    assert_eq!(e.len(), 4, "{e:?}");
}

#[test]
fn o2cb_file_rules_and_threshold_meaning() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("cluster.conf");
    std::fs::write(
        &conf,
        COMMENTED
            .replace("          # web1 and web2", "")
            .replace("  # web1, eth1", "")
            .replace("              # second node", ""),
    )
    .unwrap();
    let o2cb = dir.path().join("o2cb");
    std::fs::write(
        &o2cb,
        "O2CB_ENABLED=true\nO2CB_STACK=o2cb\nO2CB_BOOTCLUSTER=webcluster\nO2CB_HEARTBEAT_THRESHOLD=31\n\
         O2CB_IDLE_TIMEOUT_MS=30000\nO2CB_KEEPALIVE_DELAY_MS=2000\nO2CB_RECONNECT_DELAY_MS=2000\n",
    )
    .unwrap();
    let (ok, json) = lint(&[&conf, &o2cb]);
    assert!(ok, "{json}");
    assert_eq!(json["files"][1]["kind"], "o2cb");
    let info = &json["files"][1]["diagnostics"][0];
    assert_eq!((info["line"].as_u64(), info["severity"].as_str()), (Some(4), Some("info")));
    assert!(info["message"].as_str().unwrap().contains("62 s"), "{info}");

    std::fs::write(
        &o2cb,
        "O2CB_ENABLED=true\nO2CB_BOOTCLUSTER=nosuch\nO2CB_IDLE_TIMEOUT_MS=2000\nO2CB_KEEPALIVE_DELAY_MS=2000\n",
    )
    .unwrap();
    let (ok, json) = lint(&[&conf, &o2cb]);
    assert!(!ok);
    let e = errors(&json, 1);
    assert_eq!(e.iter().map(|(l, _)| *l).collect::<Vec<_>>(), vec![2, 4], "{e:?}");
    assert!(e[0].1.contains("names no cluster") && e[1].1.contains("must be below"), "{e:?}");
}
