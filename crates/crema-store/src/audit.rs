//! The audit trail's context. The server wraps each write request in [`scope`] with who is
//! asking; every store write made inside it records an audit entry (actor, café, action,
//! target, before, after, address, time) in the same transaction as the change, so the trail
//! can never miss a change or record one that did not happen.

use std::future::Future;

/// Who is behind the writes of the current request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditMeta {
    pub actor_id: Option<crema_core::id::UserId>,
    pub device_id: Option<crema_core::id::DeviceId>,
    pub ip: Option<String>,
}

impl AuditMeta {
    /// Anonymous writes (a customer's order) are not staff writes and are not audited.
    pub fn is_someone(&self) -> bool {
        self.actor_id.is_some() || self.device_id.is_some()
    }
}

tokio::task_local! {
    static AUDIT: AuditMeta;
}

/// Runs `f` with `meta` as the author of its writes.
pub async fn scope<F: Future>(meta: AuditMeta, f: F) -> F::Output {
    AUDIT.scope(meta, f).await
}

/// The author of the current task's writes, if any.
pub(crate) fn current() -> Option<AuditMeta> {
    AUDIT
        .try_with(|m| m.clone())
        .ok()
        .filter(AuditMeta::is_someone)
}
