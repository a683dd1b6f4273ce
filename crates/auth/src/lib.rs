//! confab-auth: who is calling. Verifies the JWTs that REST requests and sockets carry
//! (HS256 with a shared secret, RS/ES/EdDSA keys from a JWKS such as Supabase's signing keys)
//! behind the domain's [`Authenticator`](confab_domain::ports::Authenticator) port, and signs
//! the HS256 tokens `confab token` prints.
//!
//! The REST routes and the socket handshake reach it only through that port (`Services`);
//! the server builds a [`JwtAuthenticator`] and calls [`mint_hs256`] directly.
//!
//! Depends on confab-domain (the port and `Identity`), jsonwebtoken and reqwest (JWKS over
//! HTTP); never on confab-http, confab-gateway, confab-store or confab-server.

#![warn(missing_docs)]

mod claims;
mod jwt;
#[cfg(test)]
mod tests;

pub use claims::{AppMetadata, Claims, DEFAULT_LEEWAY, UserMetadata, claims_for, mint_hs256};
pub use jwt::{JwksSource, JwtAuthenticator, JwtSettings, insecure_jwks_url};
