//! The score fold: facts in ([`crate::domain::credit`]), points per seller,
//! division and local day out ([`crate::domain::cells`]), under the rules of
//! each instant ([`crate::domain::timeline`]). One path for callers.

pub use crate::domain::cells::{IxHasher, Scoreboard};
pub use crate::domain::credit::{credits, lead_has_order, Credit, Fact, FactRec, Facts};
pub use crate::domain::timeline::{Scheduled, Timeline};
