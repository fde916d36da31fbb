//! The lakeFS operation table and the path matcher the fake server routes with (and the
//! testkit's fixtures and the contract relay match requests with).

/// One operation of the lakeFS API as the router sees it.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// The spec's `operationId`, e.g. `listRepositories`.
    pub operation_id: &'static str,
    /// Upper-case HTTP method, e.g. `GET`.
    pub method: &'static str,
    /// The spec's path template relative to `/api/v1`, e.g.
    /// `/repositories/{repository}/branches/{branch}`.
    pub path: &'static str,
    /// False for the operations that the server answers without credentials.
    pub needs_auth: bool,
}

/// Every operation of the lakeFS API, in spec order: the SDK's own operation table
/// ([`lakefs_api::OPERATIONS`]) seen as routes.
pub fn all() -> &'static [Route] {
    static ROUTES: std::sync::OnceLock<Vec<Route>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| {
        lakefs_api::OPERATIONS
            .iter()
            .map(|op| Route {
                operation_id: op.id,
                method: op.method,
                path: op.path,
                needs_auth: op.needs_auth,
            })
            .collect()
    })
}

impl Route {
    /// Matches raw path segments (split on `/`, still percent-encoded) against this route's
    /// template, returning the raw value of every `{parameter}` in template order.
    pub fn match_segments<'a>(&self, segments: &[&'a str]) -> Option<Vec<(&'static str, &'a str)>> {
        let template = template_segments(self.path);
        if template.len() != segments.len() {
            return None;
        }
        let mut params = Vec::new();
        for (pattern, actual) in template.iter().zip(segments) {
            match parameter_name(pattern) {
                // An empty segment cannot carry a parameter: lakeFS would not route it either.
                Some(_) if actual.is_empty() => return None,
                Some(name) => params.push((name, *actual)),
                None if pattern == actual => {}
                None => return None,
            }
        }
        Some(params)
    }

    /// How many template segments are fixed words; more means a more specific route.
    fn literal_segments(&self) -> usize {
        template_segments(self.path)
            .iter()
            .filter(|segment| parameter_name(segment).is_none())
            .count()
    }
}

/// The outcome of looking a request up in the operation table.
#[derive(Debug)]
pub enum Lookup<'a> {
    /// The route and its raw (still percent-encoded) path parameters.
    Found(&'static Route, Vec<(&'static str, &'a str)>),
    /// Some route has this path, none has this method.
    MethodNotAllowed,
    /// No route has this path.
    NotFound,
}

/// Finds the route for `method` and `path` (relative to `/api/v1`, still percent-encoded).
///
/// When several templates match (a parameter segment can hold a fixed word of another route),
/// the one with the most fixed words wins, as in lakeFS's router.
pub fn lookup<'a>(method: &str, path: &'a str) -> Lookup<'a> {
    let segments = split_path(path);
    let mut path_matched = false;
    let mut best: Option<(&'static Route, Vec<(&'static str, &'a str)>)> = None;
    for route in all() {
        let Some(params) = route.match_segments(&segments) else {
            continue;
        };
        path_matched = true;
        if !route.method.eq_ignore_ascii_case(method) {
            continue;
        }
        let better = best
            .as_ref()
            .is_none_or(|(current, _)| route.literal_segments() > current.literal_segments());
        if better {
            best = Some((route, params));
        }
    }
    match best {
        Some((route, params)) => Lookup::Found(route, params),
        None if path_matched => Lookup::MethodNotAllowed,
        None => Lookup::NotFound,
    }
}

fn split_path(path: &str) -> Vec<&str> {
    path.strip_prefix('/').unwrap_or(path).split('/').collect()
}

fn template_segments(template: &'static str) -> Vec<&'static str> {
    split_path(template)
}

fn parameter_name(segment: &str) -> Option<&str> {
    segment.strip_prefix('{')?.strip_suffix('}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_route_beats_parameter() {
        match lookup("PUT", "/repositories/r/refs/dump") {
            Lookup::Found(route, params) => {
                assert_eq!(route.operation_id, "dumpRefs");
                assert_eq!(params, vec![("repository", "r")]);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn method_and_path_misses() {
        assert!(matches!(
            lookup("PATCH", "/repositories"),
            Lookup::MethodNotAllowed
        ));
        assert!(matches!(lookup("GET", "/nothing/here"), Lookup::NotFound));
        assert!(matches!(
            lookup("GET", "/repositories//branches"),
            Lookup::NotFound
        ));
    }
}
