//! The error answers the routes share, added to every operation of the generated document
//! so it lists each status the server can send (Schemathesis checks that it does): 401 on
//! every route that needs a token, 400 wherever the request carries input, 404 wherever the
//! path names something, 403 wherever a role or participation is checked.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{OpenApi, Ref, RefOr, Response, ResponseBuilder};

/// Adds the shared error responses to every operation of `doc` that does not list them.
pub fn add_common_responses(doc: &mut OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            add_to(path, operation);
        }
    }
}

fn add_to(path: &str, operation: &mut Operation) {
    let params = operation.parameters.as_deref().unwrap_or_default();
    let in_path = params
        .iter()
        .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Path));
    let has_input = !params.is_empty() || operation.request_body.is_some();
    let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let mut add = |status: &str, description: &str| {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| error(description));
    };
    if has_input {
        add(
            "400",
            "validation_failed: a malformed id, query or body (at most 20 problems listed)",
        );
    }
    if secured {
        add(
            "401",
            "unauthorized: no token, or one that is invalid, expired or not yet valid",
        );
    }
    if secured && (in_path || path.starts_with("/admin")) {
        add(
            "403",
            "forbidden (or a more precise code): the caller's role or participation does not allow it",
        );
    }
    if in_path {
        add(
            "404",
            "not_found: it does not exist or the caller may not see it",
        );
    }
}

fn error(description: &str) -> RefOr<Response> {
    let content = utoipa::openapi::content::ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("ErrorBody")))
        .build();
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content("application/json", content)
            .build(),
    )
}
