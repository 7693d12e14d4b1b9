#include "scan_support.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

namespace s3m::testing {

ScanTempDir::ScanTempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "s3m-scan-it-XXXXXX").string();
  path_ = ::mkdtemp(tmpl.data());
}

ScanTempDir::~ScanTempDir() { std::filesystem::remove_all(path_); }

std::string CreateTestBucket(s3::ObjectStore& store, const std::string& suffix, bool versioned) {
  std::string bucket = UniqueBucketName(suffix);
  Status s = store.CreateBucket(bucket);
  EXPECT_TRUE(s.ok()) << bucket << ": " << s.ToString();
  if (versioned) {
    Status v = store.PutBucketVersioning(bucket, true);
    EXPECT_TRUE(v.ok()) << bucket << ": " << v.ToString();
  }
  return bucket;
}

bool PutMany(s3::ObjectStore& store, const std::string& bucket, const std::vector<std::string>& keys,
             const std::map<std::string, std::string>& bodies) {
  std::atomic<size_t> next{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < keys.size();) {
        s3::PutObjectRequest req;
        req.bucket = bucket;
        req.key = keys[i];
        auto body = bodies.find(keys[i]);
        req.body = body != bodies.end() ? body->second : "body of " + keys[i];
        auto r = store.PutObject(req);
        if (!r.ok() && failures.fetch_add(1) < 3) {
          ADD_FAILURE() << "PUT " << keys[i] << ": " << r.status().ToString();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  return failures == 0;
}

namespace {

store::Database OpenForSql(const std::string& db_path) {
  auto db = store::Database::Open(db_path, {.read_only = true});
  if (!db.ok()) {
    ADD_FAILURE() << db.status().ToString();
    return {};
  }
  return std::move(db).value();
}

}  // namespace

int64_t SqlInt(const std::string& db_path, const std::string& sql) {
  store::Database db = OpenForSql(db_path);
  if (!db.valid()) return -1;
  auto v = db.QueryInt(sql);
  EXPECT_TRUE(v.ok()) << sql << ": " << v.status().ToString();
  return v.ok() ? *v : -1;
}

std::set<std::string> SqlStrings(const std::string& db_path, const std::string& sql) {
  store::Database db = OpenForSql(db_path);
  if (!db.valid()) return {};
  auto rows = db.QueryStrings(sql);
  EXPECT_TRUE(rows.ok()) << sql << ": " << rows.status().ToString();
  return rows.ok() ? std::set<std::string>(rows->begin(), rows->end()) : std::set<std::string>();
}

std::string ScanServerName(const ::testing::TestParamInfo<TestServer>& info) { return info.param.name; }

std::vector<TestServer> ScanVersioningServers() {
  std::vector<TestServer> out;
  for (const TestServer& s : ConfiguredServers()) {
    if (s.supports_versioning) out.push_back(s);
  }
  return out;
}

std::map<std::string, int64_t> CountByState(const std::string& db_path) {
  std::map<std::string, int64_t> out;
  store::Database db = OpenForSql(db_path);
  if (!db.valid()) return out;
  auto s = db.Prepare("SELECT state, COUNT(*) FROM files GROUP BY state;");
  while (s.ok()) {
    auto row = s->Step();
    if (!row.ok() || !*row) break;
    out[s->ColumnText(0)] = s->ColumnInt(1);
  }
  return out;
}

void SqlExec(const std::string& db_path, const std::string& sql) {
  auto db = store::Database::Open(db_path, {});
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  Status s = db->Exec(sql);
  ASSERT_TRUE(s.ok()) << sql << ": " << s.ToString();
}

std::vector<std::string> AwkwardScanKeys(const TestServer& server) {
  std::vector<std::string> keys = {
      "with space/and more spaces.txt",
      "plus+sign+key",
      "percent%20literal%",
      "amp&ersand=equals?question",
      "unicode/\xc3\xa9t\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e/\xf0\x9f\x98\x80.bin",
      "semi;colon,comma:colon@at$dollar",
      "star*hash#bang!",
      "brackets[1](2){3}",
      "a/b/c/d/e/deep.txt",
      "quote'and\"double",
      "tilde~and_underscore-dash.dot",
      "<angle>&amp;not-an-entity",
  };
  if (server.url_encodes_listings) {
    keys.push_back("tab\there");
    keys.push_back("line\nfeed");
  }
  return keys;
}

CliResult RunS3migrate(const TestServer& server, const std::string& dir,
                       const std::vector<std::string>& args, const std::string& access_key_override) {
  CliResult result;
  const std::string out_path = dir + "/cli.out";
  const std::string err_path = dir + "/cli.err";
  std::vector<std::string> argv_storage = {S3M_BINARY, "--endpoint-url", server.endpoint,
                                           "--path-style", "--no-progress"};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<std::string> env_storage = {
      "AWS_ACCESS_KEY_ID=" + (access_key_override.empty() ? server.access_key : access_key_override),
      "AWS_SECRET_ACCESS_KEY=" + server.secret_key,
      "AWS_REGION=" + server.region,
      "AWS_CONFIG_FILE=/dev/null",
      "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
      "AWS_EC2_METADATA_DISABLED=true",
      "HOME=" + dir,
      "PATH=/usr/bin:/bin",
  };
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0 || ::chdir(dir.c_str()) != 0) ::_exit(127);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> argv;
    for (auto& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  auto slurp = [](const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  result.out = slurp(out_path);
  result.err = slurp(err_path);
  return result;
}

}  // namespace s3m::testing
