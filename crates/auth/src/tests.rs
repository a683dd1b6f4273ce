//! Unit tests of verification and minting (real signatures, a real key server on loopback).

use std::sync::Arc;
use std::time::Duration;

use confab_domain::ports::Authenticator;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use crate::claims::*;
use crate::jwt::*;

async fn hs(secret: &[u8]) -> Arc<JwtAuthenticator> {
    authenticator(JwtSettings {
        secret: Some(secret.to_vec()),
        ..JwtSettings::default()
    })
    .await
}

async fn authenticator(settings: JwtSettings) -> Arc<JwtAuthenticator> {
    JwtAuthenticator::new(settings).await.unwrap()
}

/// Claims of a fresh user, no name, email or admin role, valid for a minute.
fn anyone() -> Claims {
    claims_for(
        uuid::Uuid::new_v4(),
        None,
        None,
        false,
        Duration::from_secs(60),
    )
}

/// `claims` signed with an ES256 key whose header names `kid`.
fn es256_token(signing: &EncodingKey, kid: &str, claims: &Claims) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, claims, signing).unwrap()
}

#[tokio::test]
async fn a_minted_token_verifies_with_its_claims() {
    let user = uuid::Uuid::new_v4();
    let claims = claims_for(
        user,
        Some("Ada".into()),
        Some("ada@example.com".into()),
        true,
        Duration::from_secs(60),
    );
    let token = mint_hs256(b"secret", &claims).unwrap();
    let who = hs(b"secret").await.authenticate(&token).await.unwrap();
    assert_eq!(who.user_id.as_uuid(), user);
    assert_eq!(who.name.as_deref(), Some("Ada"));
    assert_eq!(who.email.as_deref(), Some("ada@example.com"));
    assert!(who.is_admin);
}

#[tokio::test]
async fn expired_foreign_and_garbage_tokens_are_refused() {
    let auth = hs(b"secret").await;
    let mut claims = anyone();
    let foreign = mint_hs256(b"other", &claims).unwrap();
    assert!(
        auth.authenticate(&foreign)
            .await
            .unwrap_err()
            .to_string()
            .contains("signature")
    );
    // Past the 60 s leeway.
    claims.exp = chrono::Utc::now().timestamp() - 61;
    let expired = mint_hs256(b"secret", &claims).unwrap();
    assert!(
        auth.authenticate(&expired)
            .await
            .unwrap_err()
            .to_string()
            .contains("expired")
    );
    assert!(auth.authenticate("not.a.jwt").await.is_err());
    let mut bad_sub = anyone();
    bad_sub.sub = "alice".into();
    assert!(
        auth.authenticate(&mint_hs256(b"secret", &bad_sub).unwrap())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn supabase_style_audiences_are_accepted_unless_an_audience_is_required() {
    #[derive(Serialize)]
    struct WithAud {
        sub: String,
        exp: i64,
        aud: String,
    }
    let claims = WithAud {
        sub: uuid::Uuid::new_v4().to_string(),
        exp: chrono::Utc::now().timestamp() + 60,
        aud: "authenticated".into(),
    };
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(b"s"),
    )
    .unwrap();
    assert!(hs(b"s").await.authenticate(&token).await.is_ok());
    let strict = authenticator(JwtSettings {
        secret: Some(b"s".to_vec()),
        audience: Some("other".into()),
        ..JwtSettings::default()
    })
    .await;
    assert!(strict.authenticate(&token).await.is_err());
}

#[tokio::test]
async fn es256_tokens_verify_against_a_jwks_file_by_kid() {
    let (signing, jwk) = es256("key-1");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jwks.json");
    std::fs::write(
        &path,
        serde_json::to_string(&JwkSet { keys: vec![jwk] }).unwrap(),
    )
    .unwrap();

    let auth = authenticator(JwtSettings {
        jwks: Some(JwksSource::parse(path.to_str().unwrap())),
        ..JwtSettings::default()
    })
    .await;
    let claims = anyone();
    let token = es256_token(&signing, "key-1", &claims);
    assert!(auth.authenticate(&token).await.is_ok());

    let token = es256_token(&signing, "unknown", &claims);
    assert!(auth.authenticate(&token).await.is_err());
    let hs = mint_hs256(b"secret", &claims).unwrap();
    assert!(
        auth.authenticate(&hs)
            .await
            .unwrap_err()
            .to_string()
            .contains("not accepted")
    );
}

#[tokio::test]
async fn exp_and_nbf_are_honoured_with_the_leeway_and_the_session_ends_after_it() {
    let auth = hs(b"secret").await;
    let now = chrono::Utc::now().timestamp();
    let mut claims = claims_for(uuid::Uuid::new_v4(), None, None, false, Duration::ZERO);
    claims.exp = now - 30;
    let who = auth
        .authenticate(&mint_hs256(b"secret", &claims).unwrap())
        .await
        .expect("30 s past exp is inside the leeway");
    assert_eq!(who.expires_at, Some(now + 30));

    claims.exp = now + 3600;
    claims.nbf = Some(now + 120);
    let early = mint_hs256(b"secret", &claims).unwrap();
    assert!(
        auth.authenticate(&early)
            .await
            .unwrap_err()
            .to_string()
            .contains("not valid yet")
    );
    claims.nbf = Some(now + 30);
    assert!(
        auth.authenticate(&mint_hs256(b"secret", &claims).unwrap())
            .await
            .is_ok()
    );

    let strict = authenticator(JwtSettings {
        secret: Some(b"secret".to_vec()),
        leeway: Duration::ZERO,
        ..JwtSettings::default()
    })
    .await;
    claims.nbf = None;
    claims.exp = now - 2;
    assert!(
        strict
            .authenticate(&mint_hs256(b"secret", &claims).unwrap())
            .await
            .is_err()
    );
}

#[test]
fn plain_http_jwks_urls_are_insecure_unless_loopback() {
    assert!(insecure_jwks_url(
        "http://auth.example.com/.well-known/jwks.json"
    ));
    assert!(insecure_jwks_url("http://10.0.0.5:8080/jwks"));
    assert!(!insecure_jwks_url("http://127.0.0.1:9999/jwks"));
    assert!(!insecure_jwks_url("http://localhost/jwks"));
    assert!(!insecure_jwks_url("http://[::1]:80/jwks"));
    assert!(!insecure_jwks_url("https://auth.example.com/jwks"));
}

#[test]
fn cache_control_sets_the_key_lifetime() {
    assert_eq!(
        cache_lifetime("public, max-age=120"),
        Some(Duration::from_secs(120))
    );
    assert_eq!(cache_lifetime("no-store"), Some(Duration::ZERO));
    assert_eq!(cache_lifetime("public"), None);
}

/// An ES256 key pair as a signing key and its JWKS entry with `kid`.
fn es256(kid: &str) -> (EncodingKey, jsonwebtoken::jwk::Jwk) {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .unwrap();
    let signing = EncodingKey::from_ec_der(pkcs8.as_ref());
    let mut jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(&signing, Algorithm::ES256).unwrap();
    jwk.common.key_id = Some(kid.into());
    (signing, jwk)
}

/// A key server on 127.0.0.1 answering `body` with `cache_control`, slowly, counting hits.
async fn key_server(
    body: String,
    cache_control: &'static str,
) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            let body = body.clone();
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(200)).await;
                ([(axum::http::header::CACHE_CONTROL, cache_control)], body)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, hits)
}

#[tokio::test]
async fn concurrent_refreshes_share_one_fetch_and_max_age_bounds_the_key_lifetime() {
    use std::sync::atomic::Ordering;
    let (signing, jwk) = es256("key-1");
    let body = serde_json::to_string(&JwkSet { keys: vec![jwk] }).unwrap();
    let (url, hits) = key_server(body, "public, max-age=1").await;
    let mut auth = authenticator(JwtSettings {
        jwks: Some(JwksSource::parse(&url)),
        ..JwtSettings::default()
    })
    .await;
    Arc::get_mut(&mut auth).unwrap().min_refresh = Duration::ZERO;
    assert_eq!(hits.load(Ordering::SeqCst), 1, "fetched at start-up");
    let token = es256_token(&signing, "key-1", &anyone());
    assert!(auth.authenticate(&token).await.is_ok());
    assert_eq!(hits.load(Ordering::SeqCst), 1, "fresh keys are reused");

    // max-age=1: a second later the keys are stale, and 20 callers at once cause one fetch.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let auth = auth.clone();
            let token = token.clone();
            tokio::spawn(async move { auth.authenticate(&token).await.is_ok() })
        })
        .collect();
    for call in calls {
        assert!(call.await.unwrap());
    }
    assert_eq!(hits.load(Ordering::SeqCst), 2, "one refresh for 20 callers");
}
