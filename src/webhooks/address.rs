//! Which addresses a webhook may reach.
//!
//! A leader's token is enough to register a webhook, and crossboard posts
//! from inside the network it runs in. Without a check a webhook is a way to
//! make the server talk to things only it can reach: the cloud metadata
//! service (169.254.169.254 hands out credentials), an admin port on
//! loopback, a database on 10.x. So targets must be public addresses, checked
//! twice:
//!
//! * at **registration**, on the URL's host when it is an address literal
//!   (or `localhost`), so an obvious mistake is a 422 naming `url`;
//! * at **delivery**, on every address the host name resolves to, by the
//!   resolver the HTTP client connects through ([`PublicOnly`]). The client
//!   connects only to addresses that passed, so a name that resolved to a
//!   public address at registration and to 127.0.0.1 later (DNS rebinding)
//!   gets nowhere.
//!
//! `--webhook-allow-private` turns both checks off, for receivers on the
//! same network (and for tests, which deliver to 127.0.0.1).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;

/// Why `ip` is not a public address, or `None` when it is.
pub(crate) fn non_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => v6_reason(v6),
    }
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some("a loopback address")
    } else if a == 0 {
        // 0.0.0.0 reaches loopback on Linux; the rest of 0/8 is "this network".
        Some("an unspecified address")
    } else if ip.is_private() {
        Some("a private address")
    } else if ip.is_link_local() {
        Some("a link-local address (cloud metadata lives there)")
    } else if a == 100 && (b & 0xc0) == 64 {
        Some("a shared (carrier-grade NAT) address")
    } else if ip.is_broadcast() || ip.is_multicast() || a >= 240 {
        Some("a broadcast, multicast or reserved address")
    } else {
        None
    }
}

fn v6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    // ::ffff:127.0.0.1 is 127.0.0.1 to the kernel.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_reason(v4);
    }
    let s = ip.segments();
    if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_unspecified() {
        Some("an unspecified address")
    } else if (s[0] & 0xfe00) == 0xfc00 {
        Some("a private (unique local) address")
    } else if (s[0] & 0xffc0) == 0xfe80 {
        Some("a link-local address")
    } else if (s[0] & 0xffc0) == 0xfec0 {
        Some("a private (site-local) address")
    } else if ip.is_multicast() {
        Some("a multicast address")
    } else if s[..6] == [0; 6] || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        // IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) carry an
        // IPv4 address that a translator may well reach.
        let [a, b] = s[6].to_be_bytes();
        let [c, d] = s[7].to_be_bytes();
        v4_reason(Ipv4Addr::new(a, b, c, d))
    } else {
        None
    }
}

/// Why a URL may not be registered, judged without DNS: its host is an
/// address literal that is not public, or a `localhost` name (RFC 6761
/// reserves those for loopback).
pub(crate) fn literal_reason(url: &Url) -> Option<&'static str> {
    if let Some(reason) = address_reason(url) {
        return Some(reason);
    }
    let name = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    (name == "localhost" || name.ends_with(".localhost")).then_some("a loopback address")
}

/// Why a URL whose host is an address literal may not be reached. Delivery
/// checks this itself: a literal never goes through the resolver.
pub(crate) fn address_reason(url: &Url) -> Option<&'static str> {
    // The URL parser has already normalised 2130706433 and 0x7f.1 to
    // 127.0.0.1; IPv6 literals keep their brackets.
    let host = url.host_str()?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    non_public(bare.parse::<IpAddr>().ok()?)
}

/// A host name resolved to an address webhooks may not reach. Delivery finds
/// it in the client's error chain and fails the message for good: retrying
/// will not make 127.0.0.1 public.
#[derive(Debug)]
pub(crate) struct NonPublic {
    pub ip: IpAddr,
    pub reason: &'static str,
}

impl std::fmt::Display for NonPublic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the host resolves to {} ({}), which webhooks may not reach \
             (see --webhook-allow-private)",
            self.reason, self.ip
        )
    }
}

impl std::error::Error for NonPublic {}

/// The client's resolver when private targets are not allowed: the system
/// resolver, then every address checked. One bad address refuses the name:
/// a mix of public and private answers is what a rebinding attack looks like.
pub(crate) struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            // The port is replaced by the URL's when connecting.
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(bad) = addrs
                .iter()
                .find_map(|a| non_public(a.ip()).map(|reason| NonPublic { ip: a.ip(), reason }))
            {
                return Err(Box::new(bad) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The [`NonPublic`] refusal somewhere in `e`'s chain of causes, if any.
pub(crate) fn refusal<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a NonPublic> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(np) = err.downcast_ref::<NonPublic>() {
            return Some(np);
        }
        cur = err.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(s: &str) -> Option<&'static str> {
        non_public(s.parse().expect("an address"))
    }

    #[test]
    fn refuses_every_non_public_range() {
        for ip in [
            "127.0.0.1",
            "127.8.9.10",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "100.127.255.255",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(reason(ip).is_some(), "{ip} passed");
        }
    }

    #[test]
    fn lets_public_addresses_through() {
        for ip in [
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "169.255.0.1",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
        ] {
            assert_eq!(reason(ip), None, "{ip} refused");
        }
    }

    #[test]
    fn literal_hosts_are_judged_without_dns() {
        let r = |u: &str| literal_reason(&Url::parse(u).expect("url"));
        assert!(r("http://127.0.0.1:9/x").is_some());
        assert!(r("http://2130706433/").is_some(), "decimal 127.0.0.1");
        assert!(r("http://[::ffff:7f00:1]/").is_some());
        assert!(r("http://LocalHost./").is_some());
        assert!(r("http://a.localhost/").is_some());
        assert!(r("https://hooks.slack.com/services/x").is_none());
        assert!(r("https://8.8.8.8/").is_none());
        // Names are left to the resolver at delivery.
        let a = |u: &str| address_reason(&Url::parse(u).expect("url"));
        assert!(a("http://localhost/").is_none());
        assert!(a("http://[::1]:8080/").is_some());
    }
}
