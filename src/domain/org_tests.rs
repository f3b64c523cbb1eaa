//! Unit tests of `org.rs`, kept beside it so the module itself stays one
//! screenful of logic.

use super::*;

#[test]
fn keys_find_short_and_long_ids_by_str() {
    let long = "x".repeat(64);
    let mut m: HashMap<Key, u32> = HashMap::new();
    for (i, id) in [
        "",
        "a",
        "exactly-22-bytes-long!",
        "23-bytes-is-on-the-heap",
        &long,
        "Åsa-Öberg",
    ]
    .into_iter()
    .enumerate()
    {
        m.insert(Key::new(id), i as u32);
    }
    assert_eq!(m.get("exactly-22-bytes-long!"), Some(&2));
    assert_eq!(m.get("23-bytes-is-on-the-heap"), Some(&3));
    assert_eq!(m.get(long.as_str()), Some(&4));
    assert_eq!(m.get("Åsa-Öberg"), Some(&5));
    assert_eq!(m.get(""), Some(&0));
    assert_eq!(m.get("b"), None);
    assert!(matches!(
        Key::new("exactly-22-bytes-long!"),
        Key::Inline { .. }
    ));
}
