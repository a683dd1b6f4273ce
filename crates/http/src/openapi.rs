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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use serde_json::Value;

    fn document() -> Value {
        serde_json::to_value(crate::api().1).unwrap()
    }

    fn operations(doc: &Value) -> Vec<(String, String, Value)> {
        let mut list = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                list.push((path.clone(), method.clone(), operation.clone()));
            }
        }
        list
    }

    #[test]
    fn path_parameters_are_in_the_path_template_and_query_strings_are_optional_query_parameters() {
        let doc = document();
        for (path, method, operation) in operations(&doc) {
            for param in operation["parameters"].as_array().into_iter().flatten() {
                let name = param["name"].as_str().unwrap();
                let in_template = path.contains(&format!("{{{name}}}"));
                match param["in"].as_str().unwrap() {
                    "path" => assert!(in_template, "{method} {path}: path parameter {name}"),
                    "query" => assert_ne!(param["required"], true, "{method} {path}: {name}"),
                    other => panic!("{method} {path}: {name} in {other}"),
                }
            }
        }
        let search = &doc["paths"]["/conversations/{id}/search"]["get"]["parameters"];
        let q = search.as_array().unwrap().iter().find(|p| p["name"] == "q");
        assert_eq!(q.unwrap()["in"], "query");
    }

    #[test]
    fn operation_ids_are_unique() {
        let doc = document();
        let mut seen = HashSet::new();
        for (path, method, operation) in operations(&doc) {
            let id = operation["operationId"].as_str().unwrap().to_owned();
            assert!(
                seen.insert(id.clone()),
                "{method} {path}: {id} is used twice"
            );
        }
    }

    #[test]
    fn every_operation_that_needs_a_token_documents_401_and_every_path_id_404() {
        let doc = document();
        for (path, method, operation) in operations(&doc) {
            let responses = &operation["responses"];
            if operation["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty())
            {
                assert!(responses["401"].is_object(), "{method} {path}: no 401");
            }
            if path.contains('{') {
                assert!(responses["404"].is_object(), "{method} {path}: no 404");
                assert!(responses["400"].is_object(), "{method} {path}: no 400");
            }
        }
    }
}
