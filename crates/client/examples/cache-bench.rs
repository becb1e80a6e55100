//! The desktop cache at full size: how fast the inbox's first page and full-text search are
//! with a large history (default 100,000 conversations and 1,000,000 messages, German and
//! English). Fills a fresh cache through the same calls the sync uses, then times what the
//! window asks for.
//!
//!   cargo run --release -p frontdesk-client --example cache-bench -- [CONVERSATIONS] [MESSAGES_PER] [KEEP_DIR]
//!
//! With KEEP_DIR the filled cache stays there (for a look with `sqlite3`), and a later run
//! with the same KEEP_DIR measures it again without filling; else it is removed.

use frontdesk_client::cache::Cache;
use frontdesk_client::{AuthorKind, Folder};
use frontdesk_protocol::{ConversationView, MessageView};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant};
use uuid::Uuid;

const FIRST: &[&str] = &[
    "Anna", "Jürgen", "Sophie", "Lukas", "Marie", "Felix", "Emma", "Jonas", "Olivia", "Noah",
    "Liam", "Mia", "Paul", "Lea", "Ben", "Hannah", "Elias", "Clara", "David", "Zoë",
];
const LAST: &[&str] = &[
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Smith",
    "Johnson",
    "Brown",
    "Taylor",
    "Wilson",
    "Davies",
    "Evans",
    "Thomas",
    "Roberts",
    "Walker",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Neumann",
    "Schwarz",
];
/// Sentences as visitors and operators write them; a message is one to three of them, with
/// an order number or a quantity mixed in so that rare terms exist too.
const SENTENCES: &[&str] = &[
    "Hallo, ich habe eine Frage zu Ihrem Angebot.",
    "Können Sie mir ein Angebot für 50 Lizenzen schicken?",
    "Wir brauchen die Lieferung bis Ende des Monats.",
    "Gibt es einen Rabatt für gemeinnützige Organisationen?",
    "Die Rechnung ist noch nicht angekommen.",
    "Wie lange dauert die Einrichtung ungefähr?",
    "Unser Vertrag läuft im März aus, wir möchten verlängern.",
    "Funktioniert das auch mit unserem bestehenden Kassensystem?",
    "Vielen Dank für die schnelle Antwort!",
    "Ich würde gern einen Termin für eine Vorführung vereinbaren.",
    "Hi, I have a question about your pricing.",
    "Could you send me a quote for 50 seats?",
    "We need the delivery by the end of the month.",
    "Is there a discount for nonprofits?",
    "The invoice has not arrived yet.",
    "How long does onboarding usually take?",
    "Our contract ends in March and we would like to renew.",
    "Does this work with our existing point of sale system?",
    "Thanks a lot for the quick reply!",
    "I'd like to book a demo for my team next week.",
    "Sure, I will check with the warehouse and get back to you.",
    "Natürlich, ich kläre das mit dem Lager und melde mich.",
];

fn conversation(i: usize, rng: &mut StdRng, now: i64, messages: i64) -> ConversationView {
    // A realistic inbox: nearly everything is closed history; a few hundred are open.
    let (state, folder) = match i % 1000 {
        0..=1 => ("waiting", Folder::Unassigned),
        2..=4 => ("assigned", Folder::Mine),
        5 => ("offline", Folder::Offline),
        _ => ("closed", Folder::Closed),
    };
    let created = now - (i as i64) * 60_000 - rng.gen_range(0..60_000);
    let last = created + messages * 20_000;
    let name = format!(
        "{} {}",
        FIRST.choose(rng).unwrap(),
        LAST.choose(rng).unwrap()
    );
    ConversationView {
        id: Uuid::new_v4(),
        visitor_id: Uuid::new_v4(),
        visitor_name: Some(name),
        state: state.into(),
        folder: Some(folder),
        assignee_id: None,
        handled_by: None,
        handled_by_name: Some("Operator".into()),
        display_name: "Frontdesk".into(),
        wait_deadline: (state == "waiting").then_some(now + 120_000),
        created_at: created,
        updated_at: last,
        closed_at: (state == "closed").then_some(last),
        message_count: messages,
        last_message_at: Some(last),
        preview: Some(SENTENCES.choose(rng).unwrap().to_string()),
        last_author: Some(AuthorKind::Visitor),
        qualified: None,
        playbook_id: None,
    }
}

fn body(rng: &mut StdRng) -> String {
    let n = rng.gen_range(1..=3);
    let mut parts: Vec<String> = (0..n)
        .map(|_| SENTENCES.choose(rng).unwrap().to_string())
        .collect();
    if rng.gen_bool(0.2) {
        parts.push(format!("Bestellnummer {}", rng.gen_range(100_000..999_999)));
    }
    parts.join(" ")
}

fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i].as_secs_f64() * 1000.0
}

/// Fills the cache through the calls the sync uses, 1,000 conversations per transaction.
async fn fill(cache: &Cache, conversations: usize, per: i64, now: i64) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(7);
    let mut rows = Vec::with_capacity(1000);
    let mut messages = Vec::with_capacity(1000 * per as usize);
    for i in 0..conversations {
        let c = conversation(i, &mut rng, now, per);
        for seq in 1..=per {
            let visitor = seq % 2 == 1;
            messages.push(MessageView {
                id: Uuid::new_v4(),
                conversation_id: c.id,
                seq,
                author: if visitor {
                    AuthorKind::Visitor
                } else {
                    AuthorKind::Operator
                },
                author_id: None,
                author_name: if visitor {
                    c.visitor_name.clone().unwrap_or_default()
                } else {
                    "Operator".into()
                },
                body: body(&mut rng),
                created_at: c.created_at + seq * 20_000,
            });
        }
        rows.push(c);
        if rows.len() == 1000 {
            cache.put_rows(&rows).await?;
            cache.put_messages(&messages).await?;
            rows.clear();
            messages.clear();
        }
    }
    cache.put_rows(&rows).await?;
    cache.put_messages(&messages).await?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let conversations: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(100_000);
    let per: i64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(10);
    let keep = args.next().map(std::path::PathBuf::from);
    let dir = tempfile::tempdir()?;
    let path = match &keep {
        Some(k) => {
            std::fs::create_dir_all(k)?;
            k.join("cache.sqlite")
        }
        None => dir.path().join("cache.sqlite"),
    };
    // A kept cache is measured again as it is (after this version's migrations).
    let fill_again = !path.exists();
    let cache = Cache::open(&path).await?;
    let now = 1_780_000_000_000;

    let started = Instant::now();
    if fill_again {
        fill(&cache, conversations, per, now).await?;
    }
    let fill = started.elapsed();
    cache.close().await;
    let size = std::fs::metadata(&path)?.len();
    if fill_again {
        println!(
            "cache: {conversations} conversations, {} messages, filled in {:.1} s, {:.0} MiB",
            conversations as i64 * per,
            fill.as_secs_f64(),
            size as f64 / 1048576.0
        );
    } else {
        println!(
            "cache: the one kept in {}, {:.0} MiB",
            path.display(),
            size as f64 / 1048576.0
        );
    }

    // What the window asks for when it opens: the counts and a folder's first page. The
    // first time right after opening the cache file, then warm.
    let cache = Cache::open(&path).await?;
    let t = Instant::now();
    cache.folder_counts().await?;
    cache.list_folder(Folder::Unassigned, 50, None).await?;
    let cold = t.elapsed();
    let mut pages = Vec::new();
    for folder in [Folder::Unassigned, Folder::Mine, Folder::Closed] {
        for _ in 0..30 {
            let t = Instant::now();
            cache.folder_counts().await?;
            let page = cache.list_folder(folder, 50, None).await?;
            pages.push(t.elapsed());
            assert!(!page.rows.is_empty());
        }
    }
    let first_page_p50 = percentile(&mut pages, 0.5);
    let first_page_p95 = percentile(&mut pages, 0.95);
    println!(
        "first page (counts + 50 rows): first after open {:.1} ms, then p50 {first_page_p50:.1} ms, p95 {first_page_p95:.1} ms",
        cold.as_secs_f64() * 1000.0
    );

    // Search as people type it: one word (common, rare, a prefix, German or English), two
    // words, a visitor's name, an order number, and words that are in no message.
    let queries = [
        "angebot",
        "quote",
        "rabatt",
        "discount",
        "rechnung",
        "invoice",
        "lieferung",
        "delivery",
        "vertrag",
        "contract",
        "kassensystem",
        "onboarding",
        "vorführung",
        "demo",
        "lager",
        "warehouse",
        "lizenz",
        "seats",
        "gemeinn",
        "nonprof",
        "angebot lizenzen",
        "quote seats",
        "rechnung angekommen",
        "invoice arrived",
        "müller",
        "schäfer",
        "zoe",
        "johnson",
        "bestellnummer 4711",
        "123456",
        "fur",
        "marz",
        "xylophon",
        "quantum",
    ];
    let mut searches = Vec::new();
    let mut hits = 0usize;
    for round in 0..6 {
        for q in queries {
            let t = Instant::now();
            let r = cache.search(q, 100).await?;
            searches.push(t.elapsed());
            if round == 0 {
                hits += r.hits.len();
            }
        }
    }
    let p50 = percentile(&mut searches, 0.5);
    let p95 = percentile(&mut searches, 0.95);
    let max = percentile(&mut searches, 1.0);
    println!(
        "search ({} queries, 100 hits at most, {hits} hits in one round): p50 {p50:.1} ms, p95 {p95:.1} ms, max {max:.1} ms",
        searches.len()
    );
    println!(
        "RESULT {}",
        serde_json::json!({
            "conversations": conversations,
            "messages": conversations as i64 * per,
            "fill_seconds": fill.as_secs_f64(),
            "cache_mib": size as f64 / 1048576.0,
            "first_page_after_open_ms": cold.as_secs_f64() * 1000.0,
            "first_page_p50_ms": first_page_p50,
            "first_page_p95_ms": first_page_p95,
            "search_p50_ms": p50,
            "search_p95_ms": p95,
            "search_max_ms": max,
        })
    );
    Ok(())
}
