//! The events of the log and the envelope that carries them.
//!
//! These types are stored with bincode, which encodes by position, not by
//! name. So a stored variant or field is never changed or reordered: a new
//! event is a new variant at the end of [`Event`], and a new shape of an old
//! event is a new variant too. The envelope's `format` lets a later build
//! switch encodings without guessing.

use serde::{Deserialize, Serialize};

/// The envelope format written by this build. Bumped only with a new encoding.
pub const FORMAT_VERSION: u16 = 1;

/// One immutable entry of the log.
///
/// Times are stored as UTC microseconds rather than chrono types: chrono's
/// serde form is a string, which would make every record larger and every
/// replay slower.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub format: u16,
    /// Global sequence number, contiguous from 1.
    pub seq: u64,
    /// Client-supplied id for idempotent retries, or a generated UUID.
    pub id: String,
    /// Business time: when it happened (UTC microseconds).
    pub occurred_at: i64,
    /// Server time: when the writer sequenced it (UTC microseconds).
    pub recorded_at: i64,
    /// Who wrote it (a token's identity, `demo`, `import`, ...).
    pub actor: String,
    pub event: Event,
}

/// What a seller reports back about a lead they received: the closed loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackStatus {
    Contacted,
    MeetingBooked,
    Won,
    Lost,
    NotRelevant,
}

impl FeedbackStatus {
    pub const ALL: [FeedbackStatus; 5] = [
        FeedbackStatus::Contacted,
        FeedbackStatus::MeetingBooked,
        FeedbackStatus::Won,
        FeedbackStatus::Lost,
        FeedbackStatus::NotRelevant,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FeedbackStatus::Contacted => "contacted",
            FeedbackStatus::MeetingBooked => "meeting_booked",
            FeedbackStatus::Won => "won",
            FeedbackStatus::Lost => "lost",
            FeedbackStatus::NotRelevant => "not_relevant",
        }
    }

    pub fn parse(s: &str) -> Option<FeedbackStatus> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// Every event the log can hold. Append new variants at the end only.
///
/// No `skip_serializing_if` here: bincode needs every field every time.
/// Empty optional fields are dropped from the JSON form in [`Event::to_json`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    DivisionCreated {
        id: String,
        name: String,
    },
    SellerJoined {
        id: String,
        name: String,
        division: String,
    },
    LeadGiven {
        lead: String,
        from: String,
        to_division: String,
        to_seller: Option<String>,
        customer: String,
        note: Option<String>,
        /// Minor units, like order amounts.
        estimated_value: Option<i64>,
    },
    LeadFeedback {
        lead: String,
        by: String,
        status: FeedbackStatus,
        note: Option<String>,
    },
    JointVisit {
        host: String,
        guests: Vec<String>,
        customer: String,
    },
    MeetingHeld {
        seller: String,
        customer: String,
        lead: Option<String>,
    },
    OrderClosed {
        order: String,
        seller: String,
        customer: String,
        /// Minor units of `currency` (öre, cents), always > 0.
        amount: i64,
        currency: String,
        lead: Option<String>,
    },
    EventVoided {
        seq: u64,
        reason: String,
    },
    DivisionRenamed {
        id: String,
        name: String,
    },
    SellerMoved {
        seller: String,
        division: String,
    },
    SellerLeft {
        seller: String,
    },
    /// A rule set, kept as JSON text so the rule language can grow new fields
    /// (with defaults) without ever changing this stored variant.
    RulesPublished {
        version: u32,
        rules: String,
        /// UTC microseconds from which these rules apply.
        effective_from: i64,
        /// Re-score all history under these rules instead of only from
        /// `effective_from` on.
        retroactive: bool,
    },
    CompetitionCreated {
        id: String,
        name: String,
        start: i64,
        end: i64,
        divisions: Vec<String>,
        per_seller: bool,
        /// Optional own rule set (JSON text); `None` scores with the rules
        /// in force.
        rules: Option<String>,
    },
    CompetitionClosed {
        id: String,
    },
    /// `competition_created` with a grace period: results stay provisional
    /// for `grace_hours` after `end` so late reports still count, then
    /// freeze. A new variant because stored variants never change shape.
    CompetitionCreatedWithGrace {
        id: String,
        name: String,
        start: i64,
        end: i64,
        divisions: Vec<String>,
        per_seller: bool,
        rules: Option<String>,
        grace_hours: u32,
    },
    /// A "sales mastermind": `host` brings one customer case and colleagues
    /// (at least one from another division) help shape the approach.
    /// `customer_id` optionally ties the case to a CRM id (see
    /// [`crate::domain::customers`]).
    MastermindHeld {
        host: String,
        customer: String,
        customer_id: Option<String>,
        helpers: Vec<String>,
        note: Option<String>,
    },
    /// A seminar or interview round for customers, staffed by sellers of
    /// at least two divisions.
    CustomerEvent {
        kind: CustomerEventKind,
        organiser: String,
        customers: Vec<String>,
        sellers: Vec<String>,
        title: Option<String>,
    },
    /// How an order's delivery went: promises kept, or not.
    OrderDelivered {
        order: String,
        status: DeliveryStatus,
        note: Option<String>,
    },
    /// A seller of the receiving division takes a lead that named nobody:
    /// from then on they are its receiver. Voiding the claim un-claims.
    LeadClaimed {
        lead: String,
        by: String,
    },
    /// `lead_given` with what makes a lead worth following up: the need,
    /// when the customer means to buy, and who to talk to. A new variant
    /// because stored variants never change shape; its type is still
    /// `lead_given`.
    LeadGivenQualified {
        lead: String,
        from: String,
        to_division: String,
        to_seller: Option<String>,
        customer: String,
        note: Option<String>,
        estimated_value: Option<i64>,
        need: Option<String>,
        timing: Option<LeadTiming>,
        contact: Option<String>,
    },
    /// A seller teaches another division what their own division sells.
    KnowledgeShared {
        presenter: String,
        audience_division: String,
        topic: String,
        attendees: Vec<String>,
        note: Option<String>,
    },
    /// Peer recognition: `from` thanks `to`, optionally for the event at
    /// `seq`. Points to the receiver, within the giver's weekly limit.
    KudosGiven {
        from: String,
        to: String,
        reason: String,
        seq: Option<u64>,
    },
    /// A head-to-head challenge: seller against seller (a seller issues it
    /// as themselves), or division against division (a leader issues it).
    /// `metric` is a [`crate::domain::metric::Metric`] name; the period is
    /// counted in whole local days, like boards.
    ChallengeIssued {
        id: String,
        challenger: String,
        opponent: String,
        metric: String,
        start: i64,
        end: i64,
        stake: Option<String>,
    },
    /// The opponent's answer; only they (a leader, for a division) answer.
    ChallengeAccepted {
        id: String,
        by: String,
    },
    ChallengeDeclined {
        id: String,
        by: String,
    },
    /// A goal for a division (or `"org"`): `value` of `metric` between
    /// `start` and `end`. Setting an id again replaces the goal.
    TargetSet {
        id: String,
        division: String,
        metric: String,
        value: i64,
        start: i64,
        end: i64,
    },
    /// An ISO week (`2026-W52`) the org takes off: it neither counts toward
    /// a streak nor breaks one.
    HolidayDeclared {
        week: String,
        name: String,
    },
}

/// When the customer of a lead means to buy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadTiming {
    Now,
    Quarter,
    Year,
    Unknown,
}

impl LeadTiming {
    pub const ALL: [LeadTiming; 4] = [
        LeadTiming::Now,
        LeadTiming::Quarter,
        LeadTiming::Year,
        LeadTiming::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LeadTiming::Now => "now",
            LeadTiming::Quarter => "quarter",
            LeadTiming::Year => "year",
            LeadTiming::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<LeadTiming> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// A lead is *qualified* when the giver names the need, a known timing and
/// a contact: the receiver can act on it without calling back first. An
/// `unknown` timing is honest but does not qualify.
pub fn is_qualified(
    need: &Option<String>,
    timing: Option<LeadTiming>,
    contact: &Option<String>,
) -> bool {
    need.is_some() && contact.is_some() && matches!(timing, Some(t) if t != LeadTiming::Unknown)
}

/// The kinds of customer event a team can organise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerEventKind {
    Seminar,
    InterviewRound,
}

impl CustomerEventKind {
    pub const ALL: [CustomerEventKind; 2] = [
        CustomerEventKind::Seminar,
        CustomerEventKind::InterviewRound,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CustomerEventKind::Seminar => "seminar",
            CustomerEventKind::InterviewRound => "interview_round",
        }
    }

    pub fn parse(s: &str) -> Option<CustomerEventKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What a delivery report says about an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Delivered,
    Delayed,
    Problem,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 3] = [
        DeliveryStatus::Delivered,
        DeliveryStatus::Delayed,
        DeliveryStatus::Problem,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Delayed => "delayed",
            DeliveryStatus::Problem => "problem",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl Event {
    /// The `type` name used in the JSON API.
    pub fn type_name(&self) -> &'static str {
        match self {
            Event::DivisionCreated { .. } => "division_created",
            Event::SellerJoined { .. } => "seller_joined",
            Event::LeadGiven { .. } | Event::LeadGivenQualified { .. } => "lead_given",
            Event::LeadFeedback { .. } => "lead_feedback",
            Event::JointVisit { .. } => "joint_visit",
            Event::MeetingHeld { .. } => "meeting_held",
            Event::OrderClosed { .. } => "order_closed",
            Event::EventVoided { .. } => "event_voided",
            Event::DivisionRenamed { .. } => "division_renamed",
            Event::SellerMoved { .. } => "seller_moved",
            Event::SellerLeft { .. } => "seller_left",
            Event::RulesPublished { .. } => "rules_published",
            Event::CompetitionCreated { .. } | Event::CompetitionCreatedWithGrace { .. } => {
                "competition_created"
            }
            Event::CompetitionClosed { .. } => "competition_closed",
            Event::MastermindHeld { .. } => "mastermind_held",
            Event::CustomerEvent { .. } => "customer_event",
            Event::OrderDelivered { .. } => "order_delivered",
            Event::LeadClaimed { .. } => "lead_claimed",
            Event::KnowledgeShared { .. } => "knowledge_shared",
            Event::KudosGiven { .. } => "kudos_given",
            Event::ChallengeIssued { .. } => "challenge_issued",
            Event::ChallengeAccepted { .. } => "challenge_accepted",
            Event::ChallengeDeclined { .. } => "challenge_declined",
            Event::TargetSet { .. } => "target_set",
            Event::HolidayDeclared { .. } => "holiday_declared",
        }
    }

    /// Activities earn points and can be voided; organisation and leadership
    /// events shape the game and cannot.
    pub fn is_activity(&self) -> bool {
        matches!(
            self,
            Event::LeadGiven { .. }
                | Event::LeadGivenQualified { .. }
                | Event::KnowledgeShared { .. }
                | Event::LeadFeedback { .. }
                | Event::JointVisit { .. }
                | Event::MeetingHeld { .. }
                | Event::OrderClosed { .. }
                | Event::MastermindHeld { .. }
                | Event::CustomerEvent { .. }
                | Event::OrderDelivered { .. }
                | Event::LeadClaimed { .. }
                | Event::KudosGiven { .. }
        )
    }
}
