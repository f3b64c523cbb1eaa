//! Text for people: amounts as a seller reads them on a wall or in a chat.

/// Minor units as whole major units with thousands grouped by `sep`:
/// `money(45_000_000, "SEK", ' ')` is "450 000 SEK". Pages use a
/// no-break space so an amount never wraps; chat messages a plain one.
pub fn money(amount: i64, currency: &str, sep: char) -> String {
    let whole = (amount / 100).to_string();
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 && c != '-' {
            out.push(sep);
        }
        out.push(c);
    }
    format!("{out} {currency}")
}

#[cfg(test)]
mod tests {
    use super::money;

    #[test]
    fn money_groups_thousands() {
        assert_eq!(money(45_000_000, "SEK", '\u{a0}'), "450\u{a0}000 SEK");
        assert_eq!(money(99, "EUR", ' '), "0 EUR");
        assert_eq!(money(123_456_789, "SEK", ' '), "1 234 567 SEK");
    }
}
