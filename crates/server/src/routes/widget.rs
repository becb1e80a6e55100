//! What a website loads: the widget's configuration, its script, and the demo site.

use super::playbooks::{install_snippet, public_url};
use super::visitors::playbook_not_found;
use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::{now_ms, AppState};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use frontdesk_core::playbook::Playbook;
use frontdesk_core::templates::qualify_and_chat;
use frontdesk_core::Language;
use frontdesk_protocol::*;
use frontdesk_store::{Store, StoreError};
use uuid::Uuid;

const WIDGET_JS: &str = include_str!("../../assets/widget.js");
const DEMO_HTML: &str = include_str!("../../assets/demo.html");
const DEMO_KEY: &str = "demo_playbook";

/// Seeds the demo playbook on the first run, so `/demo` works out of the box.
pub async fn ensure_demo_playbook(store: &dyn Store) -> Result<(), StoreError> {
    if store.meta(DEMO_KEY).await?.is_some() {
        return Ok(());
    }
    let p = store
        .create_playbook(
            Uuid::now_v7(),
            qualify_and_chat(Language::En),
            true,
            now_ms(),
        )
        .await?;
    store.set_meta(DEMO_KEY, p.id.to_string()).await
}

/// How the widget of an active playbook looks and talks.
#[utoipa::path(get, path = "/api/widget/{playbook_id}", tag = "visitor",
    params(("playbook_id" = Uuid, Path, description = "Playbook id")),
    responses((status = 200, body = WidgetConfig), (status = 404, body = ErrorBody)))]
pub async fn config(
    State(state): State<AppState>,
    ApiPath(playbook_id): ApiPath<Uuid>,
) -> Result<Json<WidgetConfig>, ApiError> {
    let p = match state.store.playbook(playbook_id).await {
        Ok(p) if p.active => p,
        Ok(_) | Err(StoreError::NotFound) => return Err(playbook_not_found()),
        Err(e) => return Err(e.into()),
    };
    Ok(Json(widget_config(p.id, &p.definition)))
}

/// The widget's look and texts for a definition (also the admin's preview of an unsaved one).
pub fn widget_config(playbook_id: Uuid, d: &Playbook) -> WidgetConfig {
    let lang = d.appearance.language;
    WidgetConfig {
        playbook_id,
        language: lang.code().into(),
        appearance: WidgetAppearance {
            bot_name: d.appearance.bot_name.clone(),
            primary_color: d.appearance.primary_color.clone(),
            text_color: d.appearance.text_color.clone(),
            icon: d.appearance.icon.clone(),
        },
        greeting: d.greeting.as_ref().map(|g| WidgetGreeting {
            text: g.text.clone(),
            delay_ms: g.delay_ms,
        }),
        texts: lang
            .widget_texts()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    }
}

/// The widget script.
#[utoipa::path(get, path = "/widget.js", tag = "visitor", responses((status = 200, description = "JavaScript")))]
pub async fn widget_js() -> Response {
    let mut r = WIDGET_JS.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/javascript; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    // CORS for it comes from `visitor_cors`, like every public visitor path.
    r
}

/// Which playbook the demo site runs: `?playbook=<id>` tries an admin's own (active) one.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DemoQuery {
    /// An active playbook's id; without it, the seeded demo playbook.
    pub playbook: Option<Uuid>,
}

async fn demo_page(
    state: &AppState,
    headers: &HeaderMap,
    query: DemoQuery,
) -> Result<Html<String>, ApiError> {
    let id = match query.playbook {
        Some(id) => match state.store.playbook(id).await {
            Ok(p) if p.active => p.id,
            Ok(_) | Err(StoreError::NotFound) => {
                return Err(ApiError::not_found(
                    "playbook_not_found",
                    "No active playbook with this id: activate it first.",
                ))
            }
            Err(e) => return Err(e.into()),
        },
        None => state
            .store
            .meta(DEMO_KEY)
            .await?
            .and_then(|v| v.parse::<Uuid>().ok())
            .ok_or_else(|| ApiError::not_found("no_demo", "The demo playbook is missing."))?,
    };
    // `{{QUERY}}` follows each link between the demo's pages, so a tried playbook stays on.
    let query = match query.playbook {
        Some(p) => format!("?playbook={p}"),
        None => String::new(),
    };
    let html = DEMO_HTML
        .replace(
            "{{SNIPPET}}",
            &install_snippet(&public_url(state, headers), id),
        )
        .replace("{{QUERY}}", &query);
    Ok(Html(html))
}

/// A demo website with the widget of the seeded demo playbook (or `?playbook=`'s).
#[utoipa::path(get, path = "/demo", tag = "demo", params(DemoQuery),
    responses((status = 200, description = "HTML"), (status = 404, body = ErrorBody)))]
pub async fn demo(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<DemoQuery>,
) -> Result<Html<String>, ApiError> {
    demo_page(&state, &headers, query).await
}

/// A second demo page (the widget keeps the conversation across navigation).
#[utoipa::path(get, path = "/demo/pricing", tag = "demo", params(DemoQuery),
    responses((status = 200, description = "HTML"), (status = 404, body = ErrorBody)))]
pub async fn demo_pricing(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<DemoQuery>,
) -> Result<Html<String>, ApiError> {
    demo_page(&state, &headers, query).await
}
