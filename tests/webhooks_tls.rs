//! Webhooks over https: a local receiver with its own test CA (rcgen) served
//! by tokio-rustls. crossboard trusts it only when `SSL_CERT_FILE` names the
//! CA, which proves both that TLS works and that the trust store matters.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use common::{client, get, post as post_json, Server};
use parking_lot::Mutex;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{crypto::ring, ServerConfig};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// A CA made for this test and a server certificate it signed for
/// 127.0.0.1 and localhost: (the CA as PEM, the server's TLS config).
fn pki() -> (String, ServerConfig) {
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "crossboard test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = ca.self_signed(&ca_key).expect("CA certificate");

    let key = KeyPair::generate().expect("server key");
    let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .expect("server params");
    leaf.distinguished_name
        .push(DnType::CommonName, "localhost");
    let leaf = leaf
        .signed_by(&key, &ca, &ca_key)
        .expect("server certificate");

    let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("protocols")
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .expect("server config");
    (ca.pem(), config)
}

/// A TCP listener that hands axum only connections whose TLS handshake
/// succeeded; a client that rejects the certificate never reaches a route.
struct TlsListener {
    tcp: TcpListener,
    tls: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                continue;
            };
            let handshake = tokio::time::timeout(Duration::from_secs(5), self.tls.accept(tcp));
            if let Ok(Ok(tls)) = handshake.await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// An https receiver on 127.0.0.1 that records the text of every POST:
/// (its URL, the texts, the CA to trust it with as PEM).
async fn https_receiver() -> (String, Arc<Mutex<Vec<String>>>, String) {
    let (ca_pem, config) = pki();
    let texts = Arc::new(Mutex::new(Vec::new()));
    async fn hook(State(t): State<Arc<Mutex<Vec<String>>>>, Json(body): Json<Value>) -> StatusCode {
        t.lock()
            .push(body["text"].as_str().unwrap_or_default().to_string());
        StatusCode::OK
    }
    let app = Router::new()
        .route("/services/T0/B0/secret", post(hook))
        .with_state(texts.clone());
    let tcp = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = tcp.local_addr().expect("addr");
    let listener = TlsListener {
        tcp,
        tls: TlsAcceptor::from(Arc::new(config)),
    };
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (
        format!("https://{addr}/services/T0/B0/secret"),
        texts,
        ca_pem,
    )
}

/// Registers `url` on `s` and appends an order from a cross-division lead,
/// which is an `order_from_lead` celebration.
async fn register_and_celebrate(s: &Server, url: &str) {
    let c = client();
    let (code, v) = post_json(&c, &s.url("/api/v1/webhooks"), &json!({"url": url})).await;
    assert_eq!(code, 201, "{v}");
    let joined = (chrono::Utc::now() - chrono::Duration::days(2)).to_rfc3339();
    for body in [
        json!({"type": "division_created", "data": {"id": "energy", "name": "Energy"}}),
        json!({"type": "division_created", "data": {"id": "service", "name": "Service"}}),
        json!({"type": "seller_joined", "occurred_at": joined, "data": {"id": "lars", "name": "Lars Persson", "division": "energy"}}),
        json!({"type": "seller_joined", "occurred_at": joined, "data": {"id": "ida", "name": "Ida Larsson", "division": "service"}}),
        json!({"type": "lead_given", "data": {"lead": "L1", "from": "lars", "to_division": "service", "customer": "Volvo Cars"}}),
        json!({"type": "order_closed", "data": {"order": "O1", "seller": "ida", "customer": "Volvo Cars", "amount": 45_000_000, "currency": "SEK", "lead": "L1"}}),
    ] {
        let (code, v) = post_json(&c, &s.url("/api/v1/events"), &body).await;
        assert_eq!(code, 201, "{body} → {v}");
    }
}

/// The first webhook's status once nothing is pending (bounded wait).
async fn settled_status(s: &Server) -> Value {
    let c = client();
    let mut last = Value::Null;
    for _ in 0..200 {
        let (code, list) = get(&c, &s.url("/api/v1/webhooks")).await;
        assert_eq!(code, 200, "{list}");
        let st = list["webhooks"][0]["status"].clone();
        if st["pending"] == 0 && st["last_attempt"].is_object() {
            return st;
        }
        last = list;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the delivery never settled: {last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_delivery_trusts_the_ca_in_ssl_cert_file() {
    let (url, texts, ca_pem) = https_receiver().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let ca_file = tmp.path().join("ca.pem");
    std::fs::write(&ca_file, ca_pem).expect("write CA");
    let ca_file = ca_file.to_str().expect("utf-8 path").to_string();
    let env = [
        ("SSL_CERT_FILE", ca_file.as_str()),
        ("CROSSBOARD_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("CROSSBOARD_WEBHOOK_BACKOFF_MS", "20"),
    ];
    let s = Server::start_with(&tmp.path().join("data"), &[], &env);
    register_and_celebrate(&s, &url).await;

    let st = settled_status(&s).await;
    assert_eq!(st["delivered"], 1, "{st}");
    assert_eq!(st["failed"], 0, "{st}");
    let got = texts.lock().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].contains("Ida Larsson") && got[0].contains("Volvo Cars"),
        "{got:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_delivery_refuses_an_unknown_ca() {
    let (url, texts, _ca_pem) = https_receiver().await;
    let tmp = tempfile::tempdir().expect("tmp");
    // No SSL_CERT_FILE naming this CA: the system store (or whatever file the
    // environment names) has never heard of it.
    let env = [
        ("CROSSBOARD_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("CROSSBOARD_WEBHOOK_BACKOFF_MS", "20"),
    ];
    let s = Server::start_with(&tmp.path().join("data"), &[], &env);
    register_and_celebrate(&s, &url).await;

    let st = settled_status(&s).await;
    assert_eq!(st["delivered"], 0, "{st}");
    assert_eq!(st["failed"], 1, "{st}");
    let error = st["last_attempt"]["error"].as_str().unwrap_or_default();
    assert!(error.contains("certificate"), "{st}");
    assert!(!error.contains("secret"), "the URL leaked: {st}");
    assert!(texts.lock().is_empty());
}
