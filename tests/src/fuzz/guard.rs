//! The oracle's deviation guard (SPEC 2): no sequence of pushes in one block, batched or not,
//! moves the accepted price further than `max_deviation` from the block's reference without a
//! confirmation, and a confirmation names a price some feeder left pending.
use cosmwasm_std::Decimal;

use super::checker::Checker;
use super::exec::Exec;
use super::snapshot::Snap;
use super::util::dec_f64;
use super::world::N_POOL;

/// The oracle's own rounding aside.
const SLACK: f64 = 1e-12;

fn within(price: Decimal, reference: Decimal, max_deviation: Decimal) -> bool {
    let (p, r, d) = (dec_f64(price), dec_f64(reference), dec_f64(max_deviation));
    (p - r).abs() <= r * d * (1.0 + SLACK) + SLACK
}

impl Checker<'_> {
    pub(super) fn deviation_guard(&mut self, a: &Snap, e: &Exec) {
        let now = a.now;
        let max_dev = self.w.guard.max_deviation;
        let max_age = self.w.guard.max_age;
        for (feeder, r) in &e.pushes {
            for ev in r.events.iter().filter(|ev| ev.ty == "wasm-oracle_price") {
                let attr = |k: &str| {
                    ev.attributes
                        .iter()
                        .find(|x| x.key == k)
                        .map(|x| x.value.clone())
                };
                let (Some(denom), Some(price), Some(status)) =
                    (attr("denom"), attr("price"), attr("status"))
                else {
                    continue;
                };
                let Some(i) = (0..N_POOL).find(|i| self.w.assets[*i].denom == denom) else {
                    continue;
                };
                let Ok(price) = price.parse::<Decimal>() else {
                    self.check(false, "oracle-moves-within-the-deviation-guard", || {
                        format!("unreadable price in {ev:?}")
                    });
                    continue;
                };
                match status.as_str() {
                    "accepted" => match self.w.guard.reference[i] {
                        Some(reference) => {
                            self.check(
                                within(price, reference, max_dev),
                                "oracle-moves-within-the-deviation-guard",
                                || {
                                    format!(
                                        "{denom}: {price} accepted from feeder {feeder}, the \
                                         block's reference is {reference}"
                                    )
                                },
                            );
                        }
                        None => self.w.guard.reference[i] = Some(price),
                    },
                    "confirmed" => {
                        let feeder = *feeder;
                        let named = self.w.guard.waiting.iter().any(|(j, p, f, t)| {
                            *j == i
                                && within(price, *p, max_dev)
                                && (*f != feeder || now.saturating_sub(*t) >= 60)
                                && now.saturating_sub(*t) <= max_age
                        });
                        self.check(named, "oracle-confirms-only-a-pending-price", || {
                            format!(
                                "{denom}: {price} accepted as a confirmation from feeder \
                                 {feeder}, but no push it could confirm is pending"
                            )
                        });
                        self.w.guard.reference[i] = Some(price);
                    }
                    _ => {
                        self.w.stats.pending_pushes += 1;
                        self.w.guard.waiting.push((i, price, *feeder, now));
                    }
                }
            }
        }
        // What queries serve: a price accepted in this block is within the guard of the reference.
        for i in 0..N_POOL {
            let (Some(answer), Some(reference)) = (&a.prices[i], self.w.guard.reference[i]) else {
                continue;
            };
            if answer.updated_at != now {
                continue;
            }
            let price = answer.price;
            let denom = self.w.assets[i].denom.clone();
            self.check(
                within(price, reference, max_dev),
                "oracle-moves-within-the-deviation-guard",
                || format!("{denom}: serves {price}, the block's reference is {reference}"),
            );
        }
    }
}
