#include "e2e_support.h"

#include <cstdlib>

#include <fcntl.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "store/postgres.h"

extern char** environ;

namespace s3m::testing {

ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env,
                         const std::function<void(pid_t)>& on_started) {
  TempDir io;
  const std::string out_path = io.path() + "/out", err_path = io.path() + "/err";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  // A clean environment: PATH and what the test passes, nothing of the
  // developer's own AWS setup.
  std::vector<std::string> env_strings = {"PATH=/usr/bin:/bin", "LANG=C.UTF-8"};
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  for (const char* keep : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS"}) {
    if (const char* v = std::getenv(keep)) env_strings.push_back(std::string(keep) + "=" + v);
  }
  std::vector<char*> envp, args;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& a : argv_copy) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = 0;
  ProcessResult result;
  if (posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data()) != 0) {
    posix_spawn_file_actions_destroy(&actions);
    ADD_FAILURE() << "cannot start " << argv[0];
    return result;
  }
  posix_spawn_file_actions_destroy(&actions);
  if (on_started) on_started(pid);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = ReadFileOrDie(out_path);
  result.err = ReadFileOrDie(err_path);
  return result;
}

std::string TestBytes(size_t size, uint32_t seed) {
  std::string out(size, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (auto& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return out;
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path;
    return "";
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::string SqlQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += c;
  }
  return out + "'";
}

// A reader of a WAL database running `migrate` can find it locked for a
// moment (the first connection to open the WAL rebuilds its index, the last
// to close checkpoints and removes it, each under an exclusive lock): wait,
// as a user's `sqlite3 -cmd '.timeout 10000'` does.
namespace {
void WaitWhileLocked(sqlite3* db) { sqlite3_busy_timeout(db, 10000); }
}  // namespace

std::vector<std::string> Sql(const std::string& db_path, const std::string& query) {
  std::vector<std::string> rows;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << db_path;
    sqlite3_close(db);
    return rows;
  }
  WaitWhileLocked(db);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, query.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "bad query " << query << ": " << sqlite3_errmsg(db);
    sqlite3_close(db);
    return rows;
  }
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    std::string row;
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      if (i) row += '|';
      const unsigned char* text = sqlite3_column_text(stmt, i);
      row += text ? std::string(reinterpret_cast<const char*>(text),
                                static_cast<size_t>(sqlite3_column_bytes(stmt, i)))
                  : "NULL";
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

std::string FreshPostgresDatabase(const std::string& options) {
  static int databases = 0;
  const char* admin = std::getenv("S3M_TEST_POSTGRES_ADMIN_URI");
  EXPECT_NE(admin, nullptr) << "run under scripts/with-test-servers.sh (PostgreSQL)";
  if (admin == nullptr) return {};
  auto pg = store::PgConnection::Connect(admin);
  EXPECT_TRUE(pg.ok()) << pg.status().ToString();
  if (!pg.ok()) return {};
  const std::string name = fmt::format("s3m_e2e_{}_{}", ::getpid(), ++databases);
  EXPECT_TRUE(pg->Exec(fmt::format("CREATE DATABASE {} {}", name, options)).ok());
  const std::string uri = admin;
  return uri.substr(0, uri.rfind('/') + 1) + name;
}

std::vector<std::string> PgRows(const std::string& uri, const std::string& sql) {
  std::vector<std::string> rows;
  auto pg = store::PgConnection::Connect(uri);
  EXPECT_TRUE(pg.ok()) << pg.status().ToString();
  if (!pg.ok()) return rows;
  auto r = pg->Query(sql);
  EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
  if (!r.ok()) return rows;
  for (int i = 0; i < r->rows(); ++i) rows.push_back(r->Text(i, 0));
  return rows;
}

int64_t SqlInt(const std::string& db_path, const std::string& query) {
  auto rows = Sql(db_path, query);
  if (rows.size() != 1) {
    ADD_FAILURE() << query << " returned " << rows.size() << " rows";
    return -1;
  }
  return std::stoll(rows.front());
}

S3migrateRun::S3migrateRun(std::string endpoint, std::string access_key, std::string secret_key,
                           std::string region)
    : endpoint_(std::move(endpoint)),
      access_key_(std::move(access_key)),
      secret_key_(std::move(secret_key)),
      region_(std::move(region)) {}

ProcessResult S3migrateRun::Run(const std::vector<std::string>& args,
                                const std::function<void(pid_t)>& on_started) {
  const std::string config = dir() + "/s3migrate.toml";
  std::ostringstream text;
  text << "local_base_path = \"" << dest() << "\"\n";
  text << "state_db = \"" << db() << "\"\n";
  text << "endpoint_url = \"" << endpoint_ << "\"\n";
  text << "path_style = true\n";
  if (!default_min_free_space_) text << "min_free_space = 0\n";
  for (const auto& line : config_lines_) text << line << "\n";
  // Written only when it changed: runs started from several threads at once
  // (workers) must not see each other truncate the file they read.
  {
    std::lock_guard lock(config_mu_);
    if (text.str() != written_config_) {
      std::ofstream(config) << text.str();
      written_config_ = text.str();
    }
  }
  std::vector<std::string> argv = {S3M_BINARY, "--config", config, "--no-progress"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, {{"HOME", dir()},
                           {"AWS_ACCESS_KEY_ID", access_key_},
                           {"AWS_SECRET_ACCESS_KEY", secret_key_},
                           {"AWS_REGION", region_},
                           {"AWS_CONFIG_FILE", dir() + "/no-aws-config"},
                           {"AWS_SHARED_CREDENTIALS_FILE", dir() + "/no-aws-credentials"},
                           {"AWS_EC2_METADATA_DISABLED", "true"}},
                    on_started);
}

std::optional<std::string> S3migrateRun::LocalPath(const std::string& bucket, const std::string& key) {
  sqlite3* db = nullptr;
  std::optional<std::string> out;
  if (sqlite3_open_v2(this->db().c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return out;
  }
  WaitWhileLocked(db);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "SELECT local_path FROM files WHERE bucket = ?1 AND key = ?2", -1, &stmt,
                     nullptr);
  sqlite3_bind_text(stmt, 1, bucket.data(), static_cast<int>(bucket.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(stmt, 2, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
  if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
    out = std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

s3::PutObjectResult PutTestObject(s3::ObjectStore& store, const s3::PutObjectRequest& request) {
  auto r = store.PutObject(request);
  EXPECT_TRUE(r.ok()) << request.key << ": " << r.status().ToString();
  return r.ok() ? *r : s3::PutObjectResult{};
}

std::string PutTestMultipart(s3::ObjectStore& store, const std::string& bucket, const std::string& key,
                             int parts, size_t part_size, size_t last, const std::string& checksum,
                             const std::string& type, std::string* etag) {
  s3::CreateMultipartUploadRequest create;
  create.bucket = bucket;
  create.key = key;
  create.checksum_algorithm = checksum;
  create.checksum_type = type;
  auto upload = store.CreateMultipartUpload(create);
  EXPECT_TRUE(upload.ok()) << key << ": " << upload.status().ToString();
  if (!upload.ok()) return "";
  std::string body;
  std::vector<s3::CompletedPart> done;
  for (int i = 1; i <= parts; ++i) {
    const std::string part = TestBytes(i == parts ? last : part_size, static_cast<uint32_t>(1000 + i + key.size()));
    auto p = store.UploadPart(bucket, key, *upload, i, part, checksum);
    EXPECT_TRUE(p.ok()) << key << " part " << i << ": " << p.status().ToString();
    if (!p.ok()) return "";
    p->part_number = i;
    done.push_back(*p);
    body += part;
  }
  auto complete = store.CompleteMultipartUpload(bucket, key, *upload, done, checksum);
  EXPECT_TRUE(complete.ok()) << key << ": " << complete.status().ToString();
  if (complete.ok() && etag != nullptr) *etag = complete->etag;
  return body;
}

void ExpectLocalFile(S3migrateRun& run, const std::string& bucket, const std::string& key,
                     const std::string& body) {
  auto path = run.LocalPath(bucket, key);
  ASSERT_TRUE(path.has_value()) << "no local path recorded for " << key;
  EXPECT_EQ(path->rfind(run.dest() + "/" + bucket + "/", 0), 0u) << *path;
  EXPECT_EQ(path->find("/../"), std::string::npos) << *path;
  if (!key.empty() && key.back() == '/' && body.empty()) {
    EXPECT_TRUE(PathExists(*path)) << key;  // a folder marker: a directory
    return;
  }
  EXPECT_EQ(ReadFileOrDie(*path), body) << "key " << key << " at " << *path;
}

int ReliabilityScale() {
  const char* text = std::getenv("S3M_RELIABILITY_SCALE");
  const int scale = text == nullptr ? 1 : std::atoi(text);
  return scale < 1 ? 1 : scale;
}

}  // namespace s3m::testing
