//! SeaORM entities: one module per table, in SeaORM's generated shape. Behaviour lives in
//! the domain modules, not here.

pub mod api_tokens;
pub mod sessions;
pub mod users;
