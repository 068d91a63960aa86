//! SNS over the query protocol: form-encoded `Action=...` requests, XML responses in SNS's namespace,
//! errors as `<ErrorResponse>` ([`errors`]).

pub(crate) mod errors;
pub(crate) mod form;
mod publish;
mod subscriptions;
mod topics;
pub(crate) mod xml;

use axum::response::Response;

use crate::service::Service;
use errors::SnsError;
use form::Form;

/// What one request's handlers share.
pub(crate) struct Ctx<'a> {
    pub svc: &'a Service,
}

/// The SNS actions this server answers.
const ACTIONS: [&str; 17] = [
    "CreateTopic",
    "DeleteTopic",
    "ListTopics",
    "GetTopicAttributes",
    "SetTopicAttributes",
    "Subscribe",
    "Unsubscribe",
    "ListSubscriptions",
    "ListSubscriptionsByTopic",
    "GetSubscriptionAttributes",
    "SetSubscriptionAttributes",
    "Publish",
    "PublishBatch",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
    "ConfirmSubscription",
];

/// SNS actions this server knows but does not implement (mobile push, SMS, data protection).
const UNSUPPORTED: [&str; 20] = [
    "AddPermission",
    "RemovePermission",
    "CheckIfPhoneNumberIsOptedOut",
    "CreatePlatformApplication",
    "CreatePlatformEndpoint",
    "DeleteEndpoint",
    "DeletePlatformApplication",
    "GetEndpointAttributes",
    "GetPlatformApplicationAttributes",
    "GetSMSAttributes",
    "ListEndpointsByPlatformApplication",
    "ListPhoneNumbersOptedOut",
    "ListPlatformApplications",
    "OptInPhoneNumber",
    "SetEndpointAttributes",
    "SetPlatformApplicationAttributes",
    "SetSMSAttributes",
    "GetDataProtectionPolicy",
    "PutDataProtectionPolicy",
    "ListOriginationNumbers",
];

/// Whether `action` is an SNS action.
pub(crate) fn is_action(action: &str) -> bool {
    ACTIONS.contains(&action) || UNSUPPORTED.contains(&action)
}

/// Answers one query-protocol SNS request.
pub(crate) async fn handle(svc: &Service, action: &str, form: &Form, request_id: &str) -> Response {
    let ctx = Ctx { svc };
    let result = match action {
        "CreateTopic" => topics::create_topic(&ctx, form),
        "DeleteTopic" => topics::delete_topic(&ctx, form),
        "ListTopics" => topics::list_topics(&ctx, form),
        "GetTopicAttributes" => topics::get_topic_attributes(&ctx, form),
        "SetTopicAttributes" => topics::set_topic_attributes(&ctx, form),
        "TagResource" => topics::tag_resource(&ctx, form),
        "UntagResource" => topics::untag_resource(&ctx, form),
        "ListTagsForResource" => topics::list_tags_for_resource(&ctx, form),
        "Subscribe" => subscriptions::subscribe(&ctx, form),
        "Unsubscribe" => subscriptions::unsubscribe(&ctx, form),
        "ListSubscriptions" => subscriptions::list_subscriptions(&ctx, form),
        "ListSubscriptionsByTopic" => subscriptions::list_subscriptions_by_topic(&ctx, form),
        "GetSubscriptionAttributes" => subscriptions::get_subscription_attributes(&ctx, form),
        "SetSubscriptionAttributes" => subscriptions::set_subscription_attributes(&ctx, form),
        "Publish" => publish::publish(&ctx, form).await,
        "PublishBatch" => publish::publish_batch(&ctx, form).await,
        "ConfirmSubscription" => Err(SnsError::invalid_parameter(
            "Invalid parameter: Token Reason: sqs subscriptions are confirmed at once; there is nothing to confirm",
        )),
        _ => Err(SnsError::unsupported(action)),
    };
    match result {
        Ok(x) => xml::ok(action, &x, request_id),
        Err(e) => {
            tracing::debug!(action, code = e.code, message = %e.message, "SNS request failed");
            e.response(request_id)
        }
    }
}
