//! What `/proc` and `setrlimit` tell about a process: resident memory, CPU time, file limits.

use anyhow::{bail, Context};

/// Resident set size in KiB (`VmRSS` of `/proc/<pid>/status`).
pub fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    parse_vm_rss(&status).with_context(|| format!("no VmRSS in {path}"))
}

/// The resident set size of this process, in KiB.
pub fn self_rss_kib() -> anyhow::Result<u64> {
    rss_kib(std::process::id())
}

fn parse_vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// User plus system CPU time used so far, in seconds (`/proc/<pid>/stat` fields 14 and 15).
pub fn cpu_secs(pid: u32) -> anyhow::Result<f64> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    let ticks = parse_cpu_ticks(&stat).with_context(|| format!("cannot parse {path}"))?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let hz = if hz > 0 { hz as f64 } else { 100.0 };
    Ok(ticks as f64 / hz)
}

pub fn self_cpu_secs() -> anyhow::Result<f64> {
    cpu_secs(std::process::id())
}

fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    // The command name (field 2) is in parentheses and may contain spaces; count from the
    // last ')'. What follows starts with field 3 (state), so utime (14) is at index 11.
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Kernel memory of the machine's TCP socket objects (the `TCP` slab of `/proc/slabinfo`:
/// active objects × object size), in KiB, and how many there are; `None` where slabinfo is
/// not readable (it needs root). An idle connection holds no buffer pages, so this is most of
/// what the kernel keeps for it; it is in no process's RSS.
pub fn tcp_slab() -> Option<(u64, u64)> {
    let s = std::fs::read_to_string("/proc/slabinfo").ok()?;
    parse_tcp_slab(&s)
}

fn parse_tcp_slab(slabinfo: &str) -> Option<(u64, u64)> {
    let line = slabinfo.lines().find(|l| l.starts_with("TCP "))?;
    let f: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(3)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    let (active, size) = (*f.first()?, *f.get(2)?);
    Some((active * size / 1024, active))
}

/// Raises this process's soft open-file limit to the hard limit (children inherit it) and
/// returns the new soft limit.
pub fn raise_nofile() -> anyhow::Result<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        bail!("getrlimit: {}", std::io::Error::last_os_error());
    }
    if lim.rlim_cur < lim.rlim_max {
        lim.rlim_cur = lim.rlim_max;
        // SAFETY: `lim` is a valid rlimit whose soft limit does not exceed its hard limit.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
            bail!("setrlimit: {}", std::io::Error::last_os_error());
        }
    }
    Ok(lim.rlim_cur)
}

/// The 1-minute load average, to show whether something else was using the machine.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// `nproc`, kernel release and total memory, for the report.
pub fn machine() -> String {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "?".into());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            let line = m.lines().find(|l| l.starts_with("MemTotal:"))?.to_owned();
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map(|kib| format!("{:.1} GiB", kib as f64 / 1024.0 / 1024.0))
        .unwrap_or_else(|| "?".into());
    format!("{cpus} CPUs, {mem} RAM, Linux {kernel}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_vm_rss() {
        let s = "Name:\tcrema\nVmPeak:\t  100 kB\nVmRSS:\t   41234 kB\nRssAnon:\t 1 kB\n";
        assert_eq!(parse_vm_rss(s), Some(41234));
        assert_eq!(parse_vm_rss("Name:\tx\n"), None);
    }

    #[test]
    fn reads_the_tcp_slab() {
        let s = "slabinfo - version: 2.1\nTCPv6  26 26 2496 13 8 : tunables 0 0 0\nTCP  30030  30030   2368   13    8 : tunables    0    0    0 : slabdata   2310   2310      0\n";
        assert_eq!(parse_tcp_slab(s), Some((30030 * 2368 / 1024, 30030)));
        assert_eq!(parse_tcp_slab("TCPv6 1 1 1 1 1\n"), None);
    }

    #[test]
    fn reads_cpu_ticks_past_a_name_with_spaces() {
        let s = "123 (tokio runtime) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 3 0 1 2 3";
        assert_eq!(parse_cpu_ticks(s), Some(300));
    }

    #[test]
    fn own_process_is_readable() {
        assert!(self_rss_kib().unwrap() > 0);
        assert!(self_cpu_secs().unwrap() >= 0.0);
    }
}
