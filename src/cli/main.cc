#include "cli/app.h"

int main(int argc, char** argv) { return s3m::cli::RunCli(argc, argv); }
