// The s3migrate command line: parses arguments, loads settings, dispatches to
// one command. Returns the process exit code (see ExitCode).
#pragma once

namespace s3m::cli {

// Documented exit codes (PRODUCT.md §1).
enum ExitCode : int {
  kExitOk = 0,
  kExitObjectsInError = 1,
  kExitUsage = 2,
  kExitFatal = 3,
  kExitInterrupted = 130,
};

int RunCli(int argc, char** argv);

}  // namespace s3m::cli
