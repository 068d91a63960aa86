//! SQS over the JSON protocol: `POST /` with `X-Amz-Target: AmazonSQS.<Action>` and a JSON body,
//! answered with JSON, errors as SQS sends them ([`errors`]); and over the older query protocol
//! ([`query`]), through the same handlers.

mod attributes;
mod convert;
pub(crate) mod errors;
pub(crate) mod json;
mod md5;
mod messages;
pub(crate) mod query;
mod queues;

use axum::response::Response;

use crate::service::Service;
use errors::SqsError;
use json::Input;

/// What one request's handlers share.
pub(crate) struct Ctx<'a> {
    pub svc: &'a Service,
    /// `http://host:port`, as the client reached the server: the base of the queue URLs returned.
    pub base_url: &'a str,
}

impl Ctx<'_> {
    /// `{base}/{account}/{queue}`.
    pub(crate) fn queue_url(&self, name: &str) -> String {
        format!("{}/{}/{name}", self.base_url, self.svc.config.account_id)
    }

    /// The queue a request's `QueueUrl` names. The URL's host does not matter (SDKs may rewrite it);
    /// its path must be `/{account}/{name}` with this server's account id.
    pub(crate) fn queue_name(&self, input: &Input) -> Result<String, SqsError> {
        let url = input.req_str("QueueUrl")?;
        queue_name_of(url, &self.svc.config.account_id).ok_or_else(SqsError::queue_not_found)
    }
}

/// The queue name of a queue URL (`http://host/000000000000/name`), or of a bare `/{account}/{name}` path.
pub(crate) fn queue_name_of(url: &str, account: &str) -> Option<String> {
    let path = match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            rest.find('/').map_or("", |j| &rest[j..])
        }
        None => url,
    };
    let mut parts = path.trim_matches('/').split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(name), None) if a == account && !name.is_empty() => Some(name.to_owned()),
        _ => None,
    }
}

/// Answers one JSON-protocol request for `target` (`AmazonSQS.<Action>`).
pub(crate) async fn handle_json(
    svc: &Service,
    target: &str,
    body: &[u8],
    base_url: &str,
    request_id: &str,
) -> Response {
    let action = target.strip_prefix("AmazonSQS.").unwrap_or("");
    let result = match Input::parse(body) {
        Ok(input) => dispatch(&Ctx { svc, base_url }, action, target, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(v) => json::ok(request_id, v),
        Err(e) => {
            tracing::debug!(action, code = e.code, message = %e.message, "SQS request failed");
            e.response(request_id)
        }
    }
}

pub(crate) async fn dispatch(
    ctx: &Ctx<'_>,
    action: &str,
    target: &str,
    input: &Input,
) -> Result<serde_json::Value, SqsError> {
    match action {
        "CreateQueue" => queues::create_queue(ctx, input),
        "GetQueueUrl" => queues::get_queue_url(ctx, input),
        "ListQueues" => queues::list_queues(ctx, input),
        "DeleteQueue" => queues::delete_queue(ctx, input),
        "GetQueueAttributes" => queues::get_queue_attributes(ctx, input).await,
        "SetQueueAttributes" => queues::set_queue_attributes(ctx, input),
        "PurgeQueue" => queues::purge_queue(ctx, input).await,
        "ListDeadLetterSourceQueues" => queues::list_dead_letter_source_queues(ctx, input),
        "TagQueue" => queues::tag_queue(ctx, input),
        "UntagQueue" => queues::untag_queue(ctx, input),
        "ListQueueTags" => queues::list_queue_tags(ctx, input),
        "SendMessage" => messages::send_message(ctx, input),
        "SendMessageBatch" => messages::send_message_batch(ctx, input),
        "ReceiveMessage" => messages::receive_message(ctx, input).await,
        "DeleteMessage" => messages::delete_message(ctx, input).await,
        "DeleteMessageBatch" => messages::delete_message_batch(ctx, input).await,
        "ChangeMessageVisibility" => messages::change_message_visibility(ctx, input).await,
        "ChangeMessageVisibilityBatch" => messages::change_message_visibility_batch(ctx, input).await,
        "AddPermission"
        | "RemovePermission"
        | "StartMessageMoveTask"
        | "CancelMessageMoveTask"
        | "ListMessageMoveTasks" => Err(SqsError::unsupported(format!("{action} is not supported by bus serve."))),
        _ => Err(SqsError::unknown_action(target)),
    }
}

#[cfg(test)]
mod tests {
    use super::queue_name_of;

    #[test]
    fn queue_names_come_from_the_url_path() {
        let a = "000000000000";
        assert_eq!(queue_name_of("http://127.0.0.1:4566/000000000000/q1", a).as_deref(), Some("q1"));
        assert_eq!(
            queue_name_of("https://sqs.us-east-1.amazonaws.com/000000000000/q.fifo", a).as_deref(),
            Some("q.fifo")
        );
        assert_eq!(queue_name_of("/000000000000/q", a).as_deref(), Some("q"));
        assert_eq!(queue_name_of("http://h/111111111111/q", a), None, "another account");
        assert_eq!(queue_name_of("http://h/000000000000/q/extra", a), None);
        assert_eq!(queue_name_of("http://h/", a), None);
        assert_eq!(queue_name_of("q", a), None);
    }
}
