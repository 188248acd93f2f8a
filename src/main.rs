//! The `confab` binary: the server and its admin commands (see [`confab::cli`]).

use std::process::ExitCode;

// mimalloc keeps an idle stream's footprint small and hands argon2's 19 MiB blocks back to
// the system after each hash (glibc's allocator kept them, hundreds of MiB after a burst
// of registrations). Built without transparent huge pages (`no_thp`): with them its arena
// is backed by 2 MiB pages, and 19,000 idle streams cost 20 KiB each instead of 14.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    confab::cli::main().await
}
