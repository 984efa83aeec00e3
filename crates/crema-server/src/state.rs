use crate::error::{ApiError, ApiResult};
use crema_store::{CafeRecord, Store};
use std::sync::Arc;

/// Settings the server reads at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where uploaded images and other files live.
    pub data_dir: std::path::PathBuf,
}

/// What every handler gets: the store and the settings.
#[derive(Clone)]
pub struct State {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
}

impl State {
    pub fn new(store: Arc<dyn Store>, config: Config) -> Self {
        Self {
            store,
            config: Arc::new(config),
        }
    }

    /// The café named by a URL slug.
    pub async fn cafe(&self, slug: &str) -> ApiResult<CafeRecord> {
        self.store.cafe_by_slug(slug).await.map_err(|e| match e {
            crema_store::StoreError::NotFound(_) => ApiError::NotFound(format!("café {slug:?}")),
            other => other.into(),
        })
    }
}
