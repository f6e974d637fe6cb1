//! HTTPS with certificate verification: a v2im-server with a certificate from a private CA is
//! trusted through `caFile`, and refused without it.

use crate::common::*;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use serde_json::json;
use std::path::{Path, PathBuf};
use v2im::codes;

/// A CA and a server certificate for 127.0.0.1/localhost it signed; returns (ca.pem, cert, key).
fn make_ca(dir: &Path, name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, name);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    let ca = dir.join(format!("{name}-ca.pem"));
    let cert = dir.join(format!("{name}-cert.pem"));
    let key = dir.join(format!("{name}-key.pem"));
    std::fs::write(&ca, ca_cert.pem()).unwrap();
    std::fs::write(&cert, leaf.pem()).unwrap();
    std::fs::write(&key, leaf_key.serialize_pem()).unwrap();
    (ca, cert, key)
}

fn tls_config(url: &str, user: &str, ca: Option<&Path>) -> serde_json::Value {
    let mut cfg = config(url, user);
    cfg["maxRetries"] = json!(0);
    if let Some(ca) = ca {
        cfg["caFile"] = json!(ca.to_str().unwrap());
    }
    cfg
}

#[test]
fn https_through_ca_file() {
    let certs = tempfile::tempdir().unwrap();
    let (ca, cert, key) = make_ca(certs.path(), "v2im-test");
    let (other_ca, _, _) = make_ca(certs.path(), "other");
    let s = TestServer::start_with(|c| {
        c.tls_cert = Some(cert.clone());
        c.tls_key = Some(key.clone());
    });
    assert!(s.url.starts_with("https://127.0.0.1:"), "{}", s.url);

    // Trusted through caFile: the send goes through and reads back over HTTPS.
    let a = TestClient::with_config(tls_config(&s.url, "alice", Some(&ca)));
    let m = a.send_text_ok("over tls", json!({"receiver": "bob"}));
    assert_eq!(m["status"], 2);
    let h = a.call_wait(
        "getC2CHistoryMessageList",
        json!({"userID": "bob", "count": 1}),
    );
    assert_eq!(h.code, 0, "{}", h.json);
    assert_eq!(h.json["data"][0]["msgID"], m["msgID"]);

    // Without it (web PKI roots only), or with another CA: the certificate is refused.
    for cfg in [
        tls_config(&s.url, "carol", None),
        tls_config(&s.url, "dave", Some(&other_ca)),
    ] {
        let c = TestClient::with_config(cfg);
        let id = c.text("untrusted");
        let d = c.send(&id, json!({"receiver": "bob"}));
        assert_eq!(d.code, codes::V2IM_ERR_NETWORK, "{}", d.json);
        assert!(
            d.json["desc"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("certificate"),
            "{}",
            d.json
        );
        assert_eq!(d.json["data"]["status"], 3);
    }
}
