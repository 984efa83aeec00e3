//! The `crema` binary: parses the command line and hands over to [`cli`].

mod cli;

fn main() -> std::process::ExitCode {
    keep_large_allocations_returnable();
    cli::main()
}

/// Every password check (Argon2id, 19 MiB of memory) allocates one large buffer. glibc serves
/// the first from `mmap` and returns it on free, but then raises its mmap threshold above that
/// size, so later buffers come from per-thread heaps that keep the memory: idle RSS went
/// 20 -> 40 -> 59 -> 79 -> 98 -> 118 MiB over five sign-ins (docs/benchmarks.md). A fixed
/// threshold (which also turns the adjustment off) keeps every buffer of 1 MiB or more on
/// `mmap`, handed back to the system when freed.
fn keep_large_allocations_returnable() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; it is called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}
