//! The client's real address behind a reverse proxy.
//!
//! Rate limits, the audit trail and the per-address connection cap are keyed on the client's
//! address. Behind a proxy every TCP peer is the proxy, so the proxy's header says who the
//! client is — but only a proxy crema trusts may say so: a header from anyone else is
//! ignored, or any client could pick the address it is limited under.
//!
//! The address is read from the right of `X-Forwarded-For` (or `Forwarded`): proxies append
//! the peer they saw, so the right-most entry that is not itself a trusted proxy is the first
//! address no trusted party vouches for beyond. Entries to its left were written by the client.

use axum::http::HeaderMap;
use std::net::IpAddr;

/// An address or a network (`10.0.0.0/8`, `::1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// `127.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let bad = || format!("{s:?} is not an IP address or network like 10.0.0.0/8");
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (
                a.parse::<IpAddr>().map_err(|_| bad())?,
                Some(p.parse::<u8>().map_err(|_| bad())?),
            ),
            None => (s.parse::<IpAddr>().map_err(|_| bad())?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return Err(bad());
        }
        Ok(Self { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// An IPv4 peer of a dual-stack socket arrives as `::ffff:a.b.c.d`: the same client.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// The key a client is limited under (rate limits, the connection cap): its IPv4 address, or
/// the /64 network of its IPv6 address. One IPv6 subscriber or server is given a whole /64 and
/// can send from any of its 2^64 addresses, so keying on the full address would give it as
/// many buckets as it likes.
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => {
            let net = u128::from(v6) & (u128::MAX << 64);
            IpAddr::V6(std::net::Ipv6Addr::from(net))
        }
        v4 => v4,
    }
}

/// Which header a trusted proxy writes the client's address into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProxyHeader {
    /// `X-Forwarded-For: client, proxy1` (nginx's `$proxy_add_x_forwarded_for`, Caddy, HAProxy).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client;proto=https, for=proxy1`.
    Forwarded,
}

impl ProxyHeader {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(Self::XForwardedFor),
            "forwarded" => Ok(Self::Forwarded),
            _ => Err(format!("{s:?}: must be x-forwarded-for or forwarded")),
        }
    }
}

/// The proxies whose forwarding header is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    pub nets: Vec<Cidr>,
    /// Only this one header is read: a proxy that writes one passes the other through as the
    /// client sent it, so reading both would let the client choose.
    pub header: ProxyHeader,
}

/// The default: the loopback addresses, where the documented reverse proxy runs (on the same
/// machine). A loopback peer is a process of this machine, never a remote client.
pub const DEFAULT_TRUSTED: [&str; 2] = ["127.0.0.0/8", "::1"];

impl TrustedProxies {
    /// Trusts nobody: every client is its TCP peer.
    pub fn none() -> Self {
        Self::default()
    }

    pub fn loopback() -> Self {
        Self {
            nets: DEFAULT_TRUSTED
                .iter()
                .filter_map(|s| Cidr::parse(s).ok())
                .collect(),
            header: ProxyHeader::XForwardedFor,
        }
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|n| n.contains(ip))
    }

    /// The client's address: the peer's own, unless the peer is a trusted proxy and its header
    /// names one. An entry that is not an address ends the walk (the header was garbled by
    /// someone untrusted), and the last address trusted so far is the answer.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let hops = match self.header {
            ProxyHeader::XForwardedFor => forwarded_for(headers),
            ProxyHeader::Forwarded => forwarded(headers),
        };
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Some(ip) = hop.map(canonical) else { break };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// The addresses of every `X-Forwarded-For` header, left to right (`None`: not an address).
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("?").split(','))
        .map(|s| node(s.trim()))
        .collect()
}

/// The `for=` addresses of every `Forwarded` element, left to right.
fn forwarded(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all("forwarded")
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("for=?").split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| node(v.trim().trim_matches('"')))
            })
        })
        .collect()
}

/// `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]:5678`.
fn node(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse() {
        return Some(ip);
    }
    if let Some(rest) = s.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    s.rsplit_once(':')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(name: &'static str, v: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(name, v.parse().unwrap());
        m
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks() {
        let n = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(n.contains(ip("10.1.2.3")));
        assert!(!n.contains(ip("11.0.0.1")));
        assert!(Cidr::parse("::1").unwrap().contains(ip("::1")));
        assert!(Cidr::parse("127.0.0.1")
            .unwrap()
            .contains(ip("::ffff:127.0.0.1")));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        for bad in ["", "10.0.0.0/33", "localhost", "10.0.0.0/x"] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_64() {
        assert_eq!(
            limit_key(ip("2001:db8:1:2:aaaa::1")),
            limit_key(ip("2001:db8:1:2:bbbb::9"))
        );
        assert_ne!(
            limit_key(ip("2001:db8:1:2::1")),
            limit_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(limit_key(ip("203.0.113.7")), ip("203.0.113.7"));
        assert_eq!(limit_key(ip("::ffff:203.0.113.7")), ip("203.0.113.7"));
    }

    #[test]
    fn only_a_trusted_peer_is_believed() {
        let t = TrustedProxies::loopback();
        let xff = h("x-forwarded-for", "6.6.6.6, 203.0.113.7");
        assert_eq!(t.client_ip(ip("127.0.0.1"), &xff), ip("203.0.113.7"));
        // An untrusted peer's header is ignored.
        assert_eq!(t.client_ip(ip("198.51.100.1"), &xff), ip("198.51.100.1"));
        assert_eq!(
            TrustedProxies::none().client_ip(ip("127.0.0.1"), &xff),
            ip("127.0.0.1")
        );
        // No header: the proxy itself.
        assert_eq!(
            t.client_ip(ip("127.0.0.1"), &HeaderMap::new()),
            ip("127.0.0.1")
        );
        // Garbage to the right stops the walk at the proxy.
        let bad = h("x-forwarded-for", "6.6.6.6, nonsense");
        assert_eq!(t.client_ip(ip("127.0.0.1"), &bad), ip("127.0.0.1"));
    }

    #[test]
    fn chains_of_trusted_proxies_are_walked_from_the_right() {
        let t = TrustedProxies {
            nets: vec![
                Cidr::parse("127.0.0.1").unwrap(),
                Cidr::parse("10.0.0.0/8").unwrap(),
            ],
            header: ProxyHeader::XForwardedFor,
        };
        let xff = h("x-forwarded-for", "6.6.6.6, 203.0.113.7, 10.0.0.2");
        assert_eq!(t.client_ip(ip("127.0.0.1"), &xff), ip("203.0.113.7"));
    }

    #[test]
    fn the_forwarded_header() {
        let t = TrustedProxies {
            header: ProxyHeader::Forwarded,
            ..TrustedProxies::loopback()
        };
        let f = h(
            "forwarded",
            "for=6.6.6.6, for=\"[2001:db8::7]:4711\";proto=https",
        );
        assert_eq!(t.client_ip(ip("::1"), &f), ip("2001:db8::7"));
        // X-Forwarded-For is not read when the proxy writes Forwarded.
        let xff = h("x-forwarded-for", "6.6.6.6");
        assert_eq!(t.client_ip(ip("::1"), &xff), ip("::1"));
    }
}
