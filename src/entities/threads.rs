use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "lowercase")]
pub enum ThreadKind {
    #[sea_orm(string_value = "direct")]
    Direct,
    #[sea_orm(string_value = "group")]
    Group,
    #[sea_orm(string_value = "open")]
    Open,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "threads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: ThreadKind,
    pub name: Option<String>,
    pub direct_key: Option<String>,
    pub created_by: Option<Uuid>,
    pub last_seq: i64,
    pub created_at: TimeDateTimeWithTimeZone,
    pub last_activity_at: TimeDateTimeWithTimeZone,
    pub member_count: i32,
    pub delivered_upto: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
