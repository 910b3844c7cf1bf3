//! The one reset trait every piece of namespace state implements.
//!
//! A namespace holds nothing but [`Store`]s, built by registered factories, so a new kind of
//! state cannot be added without being reset by `POST /__admin/reset`: reset is complete by
//! construction.

use std::any::Any;
use std::sync::Arc;

/// A piece of per-namespace mutable state.
pub trait Store: Any + Send + Sync {
    /// A stable name, shown in the admin API and in test failures.
    fn name(&self) -> &'static str;
    /// Return to the state the store had when its namespace was created.
    fn reset(&self);
    /// The observable state, compared by the reset-completeness test.
    fn snapshot(&self) -> serde_json::Value;
}

/// What a store factory learns about the namespace it builds for.
#[derive(Debug, Clone)]
pub struct StoreContext<'a> {
    pub namespace: &'a str,
    /// The namespace's derived seed.
    pub seed: u64,
}

/// Builds one store for a new namespace.
pub type StoreFactory = Arc<dyn Fn(&StoreContext<'_>) -> Arc<dyn Store> + Send + Sync>;

/// The registered stores of one namespace, looked up by type.
pub struct Stores {
    stores: Vec<Arc<dyn Store>>,
}

impl Stores {
    pub fn build(factories: &[StoreFactory], ctx: &StoreContext<'_>) -> Self {
        Self {
            stores: factories.iter().map(|factory| factory(ctx)).collect(),
        }
    }

    /// The store of type `T`. Every store type is registered once at start, so a miss is a bug.
    pub fn get<T: Store>(&self) -> &T {
        self.stores
            .iter()
            .find_map(|store| (store.as_ref() as &dyn Any).downcast_ref::<T>())
            .unwrap_or_else(|| panic!("store {} is not registered", std::any::type_name::<T>()))
    }

    pub fn reset(&self) {
        for store in &self.stores {
            store.reset();
        }
    }

    pub fn snapshot(&self) -> serde_json::Value {
        let map = self
            .stores
            .iter()
            .map(|store| (store.name().to_owned(), store.snapshot()))
            .collect::<serde_json::Map<_, _>>();
        serde_json::Value::Object(map)
    }
}
