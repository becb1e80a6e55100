//! Property tests: random command sequences against the lifecycle never break its invariants.

use frontdesk_core::*;
use proptest::prelude::*;

const OPERATORS: usize = 4;

#[derive(Clone, Debug)]
enum Step {
    Ask { online: bool, wait: i64 },
    Tick(i64),
    Expire,
    Assign(usize),
    Reassign { by: usize, to: usize, online: bool },
    Close(Option<usize>),
    PostVisitor,
    PostOperator(usize),
    Release { online: bool },
}

fn step() -> impl Strategy<Value = Step> {
    let op = 0..OPERATORS;
    prop_oneof![
        (any::<bool>(), 0i64..50).prop_map(|(online, wait)| Step::Ask { online, wait }),
        (0i64..40).prop_map(Step::Tick),
        Just(Step::Expire),
        op.clone().prop_map(Step::Assign),
        (op.clone(), op.clone(), any::<bool>()).prop_map(|(by, to, online)| Step::Reassign {
            by,
            to,
            online
        }),
        proptest::option::of(op.clone()).prop_map(Step::Close),
        Just(Step::PostVisitor),
        op.prop_map(Step::PostOperator),
        any::<bool>().prop_map(|online| Step::Release { online }),
    ]
}

/// Every operator an effect reaches must be allowed to see the conversation: in the state after
/// the transition for an upsert; before or after it for a message; before it for a removal.
fn check_audiences(before: &ConversationState, out: &Outcome, ops: &[OperatorId]) {
    let visitor = VisitorId(uuid::Uuid::nil());
    for op in ops {
        let sees_before = can_see(Viewer::Operator(*op), visitor, before);
        let sees_after = can_see(Viewer::Operator(*op), visitor, &out.state);
        for effect in &out.effects {
            match effect {
                Effect::Upsert { to, .. } if to.operators.includes(*op) => {
                    assert!(
                        sees_after,
                        "upsert to {op}, who may not see {:?}",
                        out.state
                    )
                }
                Effect::SystemMessage { to, .. } if to.operators.includes(*op) => {
                    assert!(
                        sees_before || sees_after,
                        "message to {op}, who sees neither state"
                    )
                }
                Effect::Removed { to } if to.includes(*op) => {
                    assert!(sees_before, "removal for {op}, who never saw it")
                }
                _ => {}
            }
        }
        // Whoever saw it before and no longer does is told so.
        if sees_before && !sees_after {
            assert!(
                out.effects
                    .iter()
                    .any(|e| matches!(e, Effect::Removed { to } if to.includes(*op))),
                "{op} lost sight of the conversation without a removal"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn lifecycle_invariants(steps in proptest::collection::vec(step(), 1..40)) {
        let ops: Vec<OperatorId> = (0..OPERATORS).map(|_| OperatorId::new()).collect();
        let mut state = ConversationState::Bot;
        let mut now: Millis = 0;
        let mut was_closed = false;
        for s in steps {
            let cmd = match s {
                Step::Tick(d) => { now += d; continue; }
                Step::Ask { online, wait } => Command::RequestLiveChat { now, wait_ms: wait, anyone_online: online },
                Step::Expire => Command::ExpireWait { now },
                Step::Assign(i) => Command::Assign { operator: ops[i], operator_name: format!("op{i}") },
                Step::Reassign { by, to, online } => Command::Reassign { by: ops[by], to: ops[to], to_name: format!("op{to}"), to_online: online },
                Step::Close(by) => Command::Close { by: by.map(|i| Actor::Operator(ops[i])).unwrap_or(Actor::System) },
                Step::PostVisitor => Command::PostMessage { by: Actor::Visitor },
                Step::PostOperator(i) => Command::PostMessage { by: Actor::Operator(ops[i]) },
                Step::Release { online } => Command::Release { now, wait_ms: 10, anyone_online: online },
            };
            let result = apply(&state, &cmd);
            // Closed is absorbing: everything is refused.
            if was_closed {
                prop_assert_eq!(&result, &Err(Rejection::Closed));
                continue;
            }
            let Ok(out) = result else { continue };
            check_audiences(&state, &out, &ops);
            match (&cmd, &out.state) {
                // A reassignment only ever lands on an operator who was online.
                (Command::Reassign { to_online, to, .. }, ConversationState::Assigned { operator }) => {
                    prop_assert!(*to_online);
                    prop_assert_eq!(to, operator);
                }
                // Only the assignee writes into an assigned conversation; only they close it.
                (Command::PostMessage { by: Actor::Operator(op) }, s) => {
                    prop_assert_eq!(s.assignee(), Some(*op));
                }
                (Command::Close { by: Actor::Operator(op) }, _) => {
                    if let Some(assignee) = state.assignee() { prop_assert_eq!(assignee, *op); }
                }
                // The wait expires only at or after its deadline.
                (Command::ExpireWait { now }, ConversationState::Offline) => {
                    let ConversationState::Waiting { deadline } = state else { panic!("expired from {state:?}") };
                    prop_assert!(deadline <= *now);
                }
                // Assignment only takes a conversation from Unassigned (or is a no-op repeat).
                (Command::Assign { operator, .. }, ConversationState::Assigned { operator: now_op }) => {
                    prop_assert_eq!(operator, now_op);
                    let from_waiting = matches!(state, ConversationState::Waiting { .. });
                    prop_assert!(from_waiting || state.assignee() == Some(*operator));
                }
                _ => {}
            }
            was_closed = out.state.is_closed();
            state = out.state;
        }
    }

    /// Many operators pressing "Assign to me" in any order: exactly one wins.
    #[test]
    fn exactly_one_assign_wins(order in Just((0..OPERATORS).collect::<Vec<_>>()).prop_shuffle()) {
        let ops: Vec<OperatorId> = (0..OPERATORS).map(|_| OperatorId::new()).collect();
        let mut state = ConversationState::Waiting { deadline: 10 };
        let mut winners = 0;
        for i in order {
            match apply(&state, &Command::Assign { operator: ops[i], operator_name: String::new() }) {
                Ok(out) => { if !out.effects.is_empty() { winners += 1; } state = out.state; }
                Err(e) => prop_assert_eq!(e, Rejection::AlreadyAssigned),
            }
        }
        prop_assert_eq!(winners, 1);
    }
}
