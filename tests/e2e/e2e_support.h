// End-to-end tests: the real s3migrate binary against a real server (the
// emulator, or s3rver/Swift from scripts/with-test-servers.sh), checked the
// way a user would: exit code, output, the local tree byte for byte, the
// bucket's contents, and the state database through plain SQL.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "s3/client.h"
#include "s3emu_process.h"

namespace s3m::testing {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed
  std::string out;
  std::string err;
};

// Runs `argv` with `env` added to a minimal environment, waits, and returns
// its exit code and output. `on_started` (optional) gets the pid right after
// the spawn (to send it signals).
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env,
                         const std::function<void(pid_t)>& on_started = nullptr);

// Deterministic bytes that differ from one seed to the next.
std::string TestBytes(size_t size, uint32_t seed);
// How much the reliability tests repeat themselves: S3M_RELIABILITY_SCALE
// (scripts/reliability.sh --long sets it), 1 when unset.
int ReliabilityScale();

std::string ReadFileOrDie(const std::string& path);
bool PathExists(const std::string& path);

// Runs a query on a SQLite database and returns the rows (columns joined with
// '|', NULL as "NULL"), the way `sqlite3 DB "SELECT ..."` prints them.
// `text` as an SQL string literal ('it''s').
std::string SqlQuote(const std::string& text);
std::vector<std::string> Sql(const std::string& db_path, const std::string& query);

// A new, empty database on the PostgreSQL test server (CREATE DATABASE
// through S3M_TEST_POSTGRES_ADMIN_URI, with `options` such as an ENCODING);
// its URI. Names are unique within the process.
std::string FreshPostgresDatabase(const std::string& options = "");
// The first column of every row `sql` yields on PostgreSQL `uri`, as text;
// fails the current test on error.
std::vector<std::string> PgRows(const std::string& uri, const std::string& sql);
int64_t SqlInt(const std::string& db_path, const std::string& query);

// One s3migrate setup: a destination, a database and a config file in a
// temporary directory, pointed at one S3 endpoint.
class S3migrateRun {
 public:
  S3migrateRun(std::string endpoint, std::string access_key, std::string secret_key,
               std::string region = "us-east-1");
  const std::string& dir() const { return tmp_.path(); }
  std::string dest() const { return tmp_.path() + "/dest"; }
  std::string db() const { return tmp_.path() + "/state.db"; }
  // Extra lines for the config file (TOML), written before each run.
  void AddConfig(const std::string& line) { config_lines_.push_back(line); }
  // Sets `key` (replacing a line that set it before: TOML refuses a key twice).
  void SetConfig(const std::string& key, const std::string& value) {
    std::erase_if(config_lines_, [&](const std::string& l) { return l.rfind(key + " =", 0) == 0; });
    config_lines_.push_back(key + " = " + value);
  }
  // Leave min_free_space out of the config (runs set it to 0 otherwise, so
  // that a nearly full build machine does not pause them).
  void UseDefaultMinFreeSpace() { default_min_free_space_ = true; }
  ProcessResult Run(const std::vector<std::string>& args,
                    const std::function<void(pid_t)>& on_started = nullptr);
  // The local file of an object, from the database's local_path.
  std::optional<std::string> LocalPath(const std::string& bucket, const std::string& key);

 private:
  TempDir tmp_;
  std::string endpoint_, access_key_, secret_key_, region_;
  std::vector<std::string> config_lines_;
  bool default_min_free_space_ = false;
  std::mutex config_mu_;
  std::string written_config_;
};

// Uploads one object; fails the current test on error.
s3::PutObjectResult PutTestObject(s3::ObjectStore& store, const s3::PutObjectRequest& request);
// A multipart upload of `parts` parts of TestBytes, `part_size` bytes each
// but the last (`last` bytes), with an additional checksum when `checksum` is
// set ("COMPOSITE" or "FULL_OBJECT" in `type`, or the server's default).
// Returns the object's bytes and sets `etag`; fails the current test on error.
std::string PutTestMultipart(s3::ObjectStore& store, const std::string& bucket, const std::string& key,
                             int parts, size_t part_size, size_t last, const std::string& checksum = "",
                             const std::string& type = "", std::string* etag = nullptr);

// The object's local file (from the database) is inside dest/bucket and
// holds exactly `body` (a folder marker: is a directory).
void ExpectLocalFile(S3migrateRun& run, const std::string& bucket, const std::string& key,
                     const std::string& body);

}  // namespace s3m::testing
