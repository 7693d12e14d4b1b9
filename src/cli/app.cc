#include "cli/app.h"

#include <CLI/CLI.hpp>

#include "s3m_version.h"

namespace s3m::cli {

int RunCli(int argc, char** argv) {
  CLI::App app{"s3migrate: move everything out of S3 onto local disk, verified"};
  app.set_version_flag("--version", std::string("s3migrate ") + S3M_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  return kExitOk;
}

}  // namespace s3m::cli
