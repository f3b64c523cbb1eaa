//! The customer-memory reads at scale (DESIGN target: ≤ 50 ms median at
//! 1,000,000 events / 10,000 sellers): `GET /api/v1/customers` (a search
//! and a first page) and `GET /api/v1/customers/{key}` (the business-time
//! order of the busiest customer's seqs; the handler then reads one page of
//! envelopes). Each measures the domain call its handler makes under the
//! projection's read lock.
//!
//! `CROSSBOARD_BENCH_EVENTS` overrides the log size (default 1,000,000).

use criterion::{criterion_group, criterion_main, Criterion};
use crossboard::domain::customers::Reach;

fn bench(c: &mut Criterion) {
    let (p, _end) = crossboard::synth::projection(crossboard::synth::bench_events());
    let n = p.seq();
    let customers = &p.customers;
    let busiest = (0..customers.list.len() as u32)
        .max_by_key(|c| customers.list[*c as usize].seqs.len())
        .unwrap_or(0);
    let mut g = c.benchmark_group("customers");
    g.sample_size(10);
    g.bench_function(format!("customers_page_{n}_events"), |b| {
        b.iter(|| {
            let (hits, _) = customers.search("", None, 100);
            hits.iter()
                .filter_map(|c| customers.get(*c))
                .map(|c| {
                    (0..p.org.divisions.len() as u32)
                        .filter(|d| c.reach(*d) != Reach::None)
                        .count()
                })
                .sum::<usize>()
        })
    });
    g.bench_function(format!("customers_search_{n}_events"), |b| {
        b.iter(|| customers.search("ab", None, 100))
    });
    g.bench_function(format!("customer_timeline_busiest_{n}_events"), |b| {
        b.iter(|| customers.timeline(busiest, &p.facts))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
