//! The `conformance` binary: all the work is in the library.

fn main() -> std::process::ExitCode {
    conformance::cli::main()
}
