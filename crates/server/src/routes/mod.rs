//! REST handlers, registered together with their OpenAPI operations so the document at
//! `/api/openapi.json` is generated from the same code that routes (it cannot drift).

pub mod accounts;
pub mod conversations;
pub mod crm;
pub mod meta;
pub mod playbooks;
pub mod sync;
pub mod visitors;
pub mod widget;

use crate::AppState;
use frontdesk_protocol::ErrorBody;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::{router::OpenApiRouter, routes};

#[derive(OpenApi)]
#[openapi(
    info(title = "Frontdesk API", description = "Live chat for sales teams: operators, visitors, conversations, realtime stream."),
    modifiers(&BearerAuth),
    components(schemas(ErrorBody, frontdesk_protocol::Folder, frontdesk_protocol::EventBody, frontdesk_protocol::ServerFrame, frontdesk_protocol::ClientFrame))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("opaque")
                    .build(),
            ),
        );
    }
}

/// Every REST route with its documentation.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(meta::healthz))
        .routes(routes!(meta::openapi_json))
        .routes(routes!(accounts::login))
        .routes(routes!(accounts::logout))
        .routes(routes!(accounts::me))
        .routes(routes!(accounts::set_presence, accounts::get_presence))
        .routes(routes!(accounts::my_sessions))
        .routes(routes!(accounts::revoke_session))
        .routes(routes!(accounts::end_operator_sessions))
        .routes(routes!(accounts::change_password))
        .routes(routes!(accounts::list_operators, accounts::create_operator))
        .routes(routes!(accounts::disable_operator))
        .routes(routes!(accounts::online_operators))
        .routes(routes!(conversations::list))
        .routes(routes!(conversations::detail))
        .routes(routes!(conversations::send, conversations::messages))
        .routes(routes!(sync::changes))
        .routes(routes!(sync::messages))
        .routes(routes!(conversations::assign))
        .routes(routes!(conversations::reassign))
        .routes(routes!(conversations::close))
        .routes(routes!(crm::update_details))
        .routes(routes!(crm::create_result))
        .routes(routes!(crm::retry_push))
        .routes(routes!(crm::audit))
        .routes(routes!(
            crm::get_pipedrive,
            crm::set_pipedrive,
            crm::delete_pipedrive
        ))
        .routes(routes!(crm::export_leads))
        .routes(routes!(crm::export_deals))
        .routes(routes!(crate::realtime::operator_stream))
        .routes(routes!(playbooks::templates))
        .routes(routes!(playbooks::list, playbooks::create))
        .routes(routes!(playbooks::validate))
        .routes(routes!(playbooks::preview))
        .routes(routes!(playbooks::get, playbooks::update))
        .routes(routes!(playbooks::activate))
        .routes(routes!(playbooks::deactivate))
        .routes(routes!(playbooks::set_origins))
        .routes(routes!(playbooks::snippet))
        .routes(routes!(widget::widget_js))
        .routes(routes!(widget::demo))
        .routes(routes!(widget::demo_pricing))
        .merge(visitor_router())
}

/// The public visitor endpoints (CORS for them: see [`crate::visitor_cors`]).
fn visitor_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(widget::config))
        .routes(routes!(visitors::create_session))
        .routes(routes!(visitors::start))
        .routes(routes!(visitors::answer))
        .routes(routes!(visitors::request_live_chat))
        .routes(routes!(visitors::conversation))
        .routes(routes!(visitors::send))
        .routes(routes!(crate::realtime::visitor_stream))
}

/// The OpenAPI document, built once.
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DOC: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    DOC.get_or_init(|| router().split_for_parts().1)
}
