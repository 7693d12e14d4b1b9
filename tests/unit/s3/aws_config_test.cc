// AWS shared config parsing and settings resolution, from temp files and an
// injected environment (never the real one).
#include "s3/aws_config.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <gtest/gtest.h>

namespace s3m::s3 {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "s3m-awsconfig-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& text) const {
    const std::string p = path_ + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

 private:
  std::string path_;
};

AwsIniFile ParseOk(std::string_view text, AwsIniKind kind = AwsIniKind::kConfig) {
  Result<AwsIniFile> r = ParseAwsIni(text, kind, "/test/config");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : AwsIniFile{};
}

std::string Value(const AwsIniFile& f, std::string_view profile, std::string_view key) {
  const AwsIniSection* p = f.FindProfile(profile);
  if (p == nullptr) return "<no profile>";
  return p->Get(key).value_or("<absent>");
}

TEST(AwsIniTest, ConfigSectionsCommentsAndWhitespace) {
  const AwsIniFile f = ParseOk(
      "# a comment\n"
      "; another comment\n"
      "\n"
      "[default]\n"
      "region=us-west-2\n"
      "output   =   json   \r\n"  // (indented, it would continue region's value)
      "  # indented comment\n"
      "[profile prod]   # trailing comment on a header\n"
      "region = eu-central-1\n"
      "[ profile   spaced ]\n"
      "region = ap-south-1\n");
  EXPECT_TRUE(f.exists);
  EXPECT_EQ(Value(f, "default", "region"), "us-west-2");
  EXPECT_EQ(Value(f, "default", "output"), "json");
  EXPECT_EQ(Value(f, "prod", "region"), "eu-central-1");
  EXPECT_EQ(Value(f, "spaced", "region"), "ap-south-1");
  EXPECT_EQ(f.profiles.size(), 3u);
}

TEST(AwsIniTest, CredentialsFileSectionsAreProfileNames) {
  const AwsIniFile f = ParseOk(
      "[default]\naws_access_key_id = A\n"
      "[prod]\naws_access_key_id = B\n"
      "[profile odd]\naws_access_key_id = C\n",
      AwsIniKind::kCredentials);
  EXPECT_EQ(Value(f, "default", "aws_access_key_id"), "A");
  EXPECT_EQ(Value(f, "prod", "aws_access_key_id"), "B");
  // As the AWS CLI reads it: the credentials file has no "profile " prefix.
  EXPECT_EQ(Value(f, "profile odd", "aws_access_key_id"), "C");
  EXPECT_EQ(f.FindProfile("odd"), nullptr);
}

TEST(AwsIniTest, ConfigIgnoresUnprefixedSectionsAsProfiles) {
  const AwsIniFile f = ParseOk(
      "[prod]\nregion = x\n"
      "[services local]\ns3 =\n  endpoint_url = http://localhost:9000\n"
      "[sso-session corp]\nsso_region = us-east-1\n"
      "[profile default]\nregion = y\n");
  EXPECT_EQ(f.FindProfile("prod"), nullptr);
  ASSERT_NE(f.FindSection("prod"), nullptr);
  ASSERT_NE(f.FindSection("services local"), nullptr);
  EXPECT_EQ(f.FindSection("services local")->Get("s3.endpoint_url"), "http://localhost:9000");
  ASSERT_NE(f.FindSection("sso-session corp"), nullptr);
  EXPECT_EQ(Value(f, "default", "region"), "y");  // [profile default] is the default profile
}

TEST(AwsIniTest, NestedSubSectionDoesNotCorruptOtherKeys) {
  const AwsIniFile f = ParseOk(
      "[default]\n"
      "s3 =\n"
      "  addressing_style = path\n"
      "  max_concurrent_requests = 20\n"
      "\n"
      "  Multipart_Threshold = 64MB\n"
      "region = eu-west-1\n"
      "[profile other]\n"
      "s3 =\n"
      "    addressing_style = virtual\n");
  EXPECT_EQ(Value(f, "default", "s3"), "");
  EXPECT_EQ(Value(f, "default", "s3.addressing_style"), "path");
  EXPECT_EQ(Value(f, "default", "s3.max_concurrent_requests"), "20");
  EXPECT_EQ(Value(f, "default", "s3.multipart_threshold"), "64MB");
  EXPECT_EQ(Value(f, "default", "region"), "eu-west-1");
  EXPECT_EQ(Value(f, "default", "addressing_style"), "<absent>");
  EXPECT_EQ(Value(f, "other", "s3.addressing_style"), "virtual");
}

TEST(AwsIniTest, ContinuationOfNonEmptyValue) {
  const AwsIniFile f = ParseOk("[default]\nlong = first\n  second\n\tthird\nnext = n\n");
  EXPECT_EQ(Value(f, "default", "long"), "first\nsecond\nthird");
  EXPECT_EQ(Value(f, "default", "next"), "n");
}

TEST(AwsIniTest, NoInlineCommentsInValuesAsInTheAwsCli) {
  const AwsIniFile f = ParseOk(
      "[default]\n"
      "region = us-west-2 # not a comment\n"
      "credential_process = sh -c 'get-creds ; echo done' # kept\n"
      "a = pass#word\n"
      "empty =\n"
      "d = 1\n");
  EXPECT_EQ(Value(f, "default", "region"), "us-west-2 # not a comment");
  EXPECT_EQ(Value(f, "default", "credential_process"), "sh -c 'get-creds ; echo done' # kept");
  EXPECT_EQ(Value(f, "default", "a"), "pass#word");
  EXPECT_EQ(Value(f, "default", "empty"), "");
  EXPECT_EQ(Value(f, "default", "d"), "1");
}

TEST(AwsIniTest, KeysAreCaseInsensitiveValuesAreNot) {
  const AwsIniFile f = ParseOk("[default]\nAWS_Access_Key_ID = AbC\n", AwsIniKind::kCredentials);
  EXPECT_EQ(Value(f, "default", "aws_access_key_id"), "AbC");
}

TEST(AwsIniTest, DuplicatesMergeAndLastValueWins) {
  const AwsIniFile f = ParseOk("[default]\na = 1\nb = 2\n[default]\na = 3\n");
  EXPECT_EQ(Value(f, "default", "a"), "3");
  EXPECT_EQ(Value(f, "default", "b"), "2");
}

TEST(AwsIniTest, EmptyAndCommentOnlyFilesAreFine) {
  EXPECT_TRUE(ParseOk("").profiles.empty());
  EXPECT_TRUE(ParseOk("# nothing\n\n   \n").profiles.empty());
}

struct MalformedCase {
  const char* name;
  const char* text;
  int line;
};

TEST(AwsIniTest, MalformedLinesNameFileAndLineButNeverQuoteTheLine) {
  const MalformedCase cases[] = {
      {"no equals sign", "[default]\naws_access_key_id = A\nSECRETLINE1\n", 3},
      {"key before any section", "SECRETKEY = SECRETVALUE\n", 1},
      {"unterminated header", "[default]\na = 1\n[profile SECRET\n", 3},
      {"empty header", "\n\n[]\n", 3},
      {"empty key", "[default]\n = SECRET\n", 2},
      {"sub-section line without equals", "[default]\ns3 =\n  SECRETSUB\n", 3},
  };
  for (const MalformedCase& c : cases) {
    SCOPED_TRACE(c.name);
    Result<AwsIniFile> r = ParseAwsIni(c.text, AwsIniKind::kCredentials, "/home/u/.aws/credentials");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidArgument);
    const std::string msg = r.status().ToString();
    EXPECT_NE(msg.find("/home/u/.aws/credentials"), std::string::npos) << msg;
    EXPECT_NE(msg.find("line " + std::to_string(c.line) + ":"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("SECRET"), std::string::npos) << msg;
  }
}

TEST(AwsIniTest, LoadMissingFileIsEmptyNotAnError) {
  TempDir dir;
  Result<AwsIniFile> r = LoadAwsIniFile(dir.path() + "/nope", AwsIniKind::kConfig);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->exists);
  EXPECT_TRUE(r->profiles.empty());
  // A missing parent directory is "missing" too.
  Result<AwsIniFile> r2 = LoadAwsIniFile(dir.path() + "/nope/config", AwsIniKind::kConfig);
  ASSERT_TRUE(r2.ok());
  EXPECT_FALSE(r2->exists);
}

TEST(AwsIniTest, LoadReadsFileAndReportsMalformedOnes) {
  TempDir dir;
  const std::string good = dir.Write("config", "[default]\nregion = sa-east-1\n");
  Result<AwsIniFile> r = LoadAwsIniFile(good, AwsIniKind::kConfig);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->exists);
  EXPECT_EQ(r->path, good);
  EXPECT_EQ(Value(*r, "default", "region"), "sa-east-1");

  const std::string bad = dir.Write("bad", "[default]\nregion = x\ngarbage\n");
  Result<AwsIniFile> b = LoadAwsIniFile(bad, AwsIniKind::kConfig);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(b.status().context().path, bad);
  EXPECT_NE(b.status().ToString().find(bad + ": line 3:"), std::string::npos)
      << b.status().ToString();
}

TEST(AwsIniTest, UnreadableFileIsAnError) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/adir");
  Result<AwsIniFile> r = LoadAwsIniFile(dir.path() + "/adir", AwsIniKind::kConfig);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(r.status().ToString().find(dir.path() + "/adir"), std::string::npos);

  if (::geteuid() != 0) {  // root reads anything
    const std::string locked = dir.Write("locked", "[default]\n");
    ::chmod(locked.c_str(), 0);
    Result<AwsIniFile> l = LoadAwsIniFile(locked, AwsIniKind::kConfig);
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.status().kind(), ErrorKind::kInvalidArgument);
  }
}

TEST(AwsEnvTest, EnvFromMapAndSystemEnv) {
  const EnvLookup env = EnvFromMap({{"A", "1"}, {"EMPTY", ""}});
  EXPECT_EQ(env("A"), "1");
  EXPECT_EQ(env("EMPTY"), "");
  EXPECT_EQ(env("B"), std::nullopt);
  const EnvLookup sys = SystemEnv();
  EXPECT_TRUE(sys("PATH").has_value());
  EXPECT_FALSE(sys("S3M_SURELY_NOT_SET_ANYWHERE_42").has_value());
}

TEST(AwsEnvTest, ExpandHome) {
  const EnvLookup env = EnvFromMap({{"HOME", "/home/ann"}});
  EXPECT_EQ(ExpandHome("~", env), "/home/ann");
  EXPECT_EQ(ExpandHome("~/.aws/config", env), "/home/ann/.aws/config");
  EXPECT_EQ(ExpandHome("~bob/x", env), "~bob/x");
  EXPECT_EQ(ExpandHome("/etc/x", env), "/etc/x");
  EXPECT_EQ(ExpandHome("rel/~/x", env), "rel/~/x");
  EXPECT_EQ(ExpandHome("~/x", EnvFromMap({{"HOME", "/home/ann/"}})), "/home/ann/x");
  // No HOME: the passwd entry, which is some absolute directory.
  const std::string fallback = ExpandHome("~/x", EnvFromMap({}));
  EXPECT_TRUE(fallback == "~/x" || (fallback.front() == '/' && fallback.ends_with("/x")));
}

TEST(AwsEnvTest, FilePaths) {
  const EnvLookup plain = EnvFromMap({{"HOME", "/h"}});
  EXPECT_EQ(ConfigFilePath(plain), "/h/.aws/config");
  EXPECT_EQ(SharedCredentialsFilePath(plain), "/h/.aws/credentials");
  const EnvLookup custom = EnvFromMap({{"HOME", "/h"},
                                       {"AWS_CONFIG_FILE", "~/cfg"},
                                       {"AWS_SHARED_CREDENTIALS_FILE", "/etc/creds"}});
  EXPECT_EQ(ConfigFilePath(custom), "/h/cfg");
  EXPECT_EQ(SharedCredentialsFilePath(custom), "/etc/creds");
  const EnvLookup empty = EnvFromMap({{"HOME", "/h"}, {"AWS_CONFIG_FILE", ""}});
  EXPECT_EQ(ConfigFilePath(empty), "/h/.aws/config");
}

TEST(AwsEnvTest, ProfileNamePrecedence) {
  std::string source;
  EXPECT_EQ(ResolveProfileName(std::nullopt, EnvFromMap({}), &source), "default");
  EXPECT_EQ(source, "default");
  EXPECT_EQ(ResolveProfileName(std::nullopt, EnvFromMap({{"AWS_PROFILE", "env"}}), &source), "env");
  EXPECT_EQ(source, "AWS_PROFILE");
  EXPECT_EQ(ResolveProfileName("flag", EnvFromMap({{"AWS_PROFILE", "env"}}), &source), "flag");
  EXPECT_EQ(source, "--profile");
  EXPECT_EQ(ResolveProfileName("", EnvFromMap({{"AWS_PROFILE", ""}}), &source), "default");
}

// Settings resolution against real files in a temp HOME.
class ResolveTest : public ::testing::Test {
 protected:
  void WriteConfig(const std::string& text) { dir_.Write(".aws/config", text); }
  void WriteCredentials(const std::string& text) { dir_.Write(".aws/credentials", text); }
  Result<AwsSettings> Resolve(const AwsSettingsOverrides& flags,
                              std::map<std::string, std::string> vars = {}) {
    vars["HOME"] = dir_.path();
    return ResolveAwsSettings(flags, EnvFromMap(std::move(vars)));
  }
  std::string ConfigPath() const { return dir_.path() + "/.aws/config"; }

  TempDir dir_;
};

TEST_F(ResolveTest, DefaultsWithNoFilesAtAll) {
  Result<AwsSettings> s = Resolve({});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->profile, "default");
  EXPECT_EQ(s->region, "us-east-1");
  EXPECT_EQ(s->region_source, "default");
  EXPECT_EQ(s->endpoint_url, "");
  EXPECT_EQ(s->ca_bundle, "");
  EXPECT_FALSE(s->path_style);
  EXPECT_EQ(s->config_file, ConfigPath());
  EXPECT_EQ(s->credentials_file, dir_.path() + "/.aws/credentials");
}

TEST_F(ResolveTest, RegionPrecedence) {
  WriteConfig("[default]\nregion = from-profile\n");
  const std::string profile_src = "profile \"default\" in " + ConfigPath();
  struct Case {
    std::optional<std::string> flag;
    std::map<std::string, std::string> env;
    std::string region;
    std::string source;
  } cases[] = {
      {"from-flag", {{"AWS_REGION", "r1"}, {"AWS_DEFAULT_REGION", "r2"}}, "from-flag", "--region"},
      {std::nullopt, {{"AWS_REGION", "r1"}, {"AWS_DEFAULT_REGION", "r2"}}, "r1", "AWS_REGION"},
      {std::nullopt, {{"AWS_REGION", ""}, {"AWS_DEFAULT_REGION", "r2"}}, "r2", "AWS_DEFAULT_REGION"},
      {std::nullopt, {}, "from-profile", profile_src},
  };
  for (const Case& c : cases) {
    AwsSettingsOverrides flags;
    flags.region = c.flag;
    Result<AwsSettings> s = Resolve(flags, c.env);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ(s->region, c.region);
    EXPECT_EQ(s->region_source, c.source);
  }
}

TEST_F(ResolveTest, ProfileSelectionReadsThatProfile) {
  WriteConfig("[default]\nregion = d\n[profile prod]\nregion = p\n[profile other]\nregion = o\n");
  AwsSettingsOverrides flags;
  Result<AwsSettings> env_pick = Resolve(flags, {{"AWS_PROFILE", "prod"}});
  ASSERT_TRUE(env_pick.ok());
  EXPECT_EQ(env_pick->profile, "prod");
  EXPECT_EQ(env_pick->profile_source, "AWS_PROFILE");
  EXPECT_EQ(env_pick->region, "p");
  flags.profile = "other";
  Result<AwsSettings> flag_pick = Resolve(flags, {{"AWS_PROFILE", "prod"}});
  ASSERT_TRUE(flag_pick.ok());
  EXPECT_EQ(flag_pick->profile, "other");
  EXPECT_EQ(flag_pick->region, "o");
}

TEST_F(ResolveTest, ExplicitProfileMustExistSomewhere) {
  WriteConfig("[default]\nregion = d\n");
  WriteCredentials("[creds-only]\naws_access_key_id = A\naws_secret_access_key = B\n");
  AwsSettingsOverrides flags;
  flags.profile = "typo";
  Result<AwsSettings> s = Resolve(flags);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(s.status().message().find("\"typo\""), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find("--profile"), std::string::npos);

  // A profile that exists only in the credentials file is fine.
  flags.profile = "creds-only";
  Result<AwsSettings> c = Resolve(flags);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->region, "us-east-1");

  // AWS_PROFILE naming a missing profile is an error too.
  Result<AwsSettings> e = Resolve({}, {{"AWS_PROFILE", "gone"}});
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("AWS_PROFILE"), std::string::npos);
}

TEST_F(ResolveTest, EndpointPrecedence) {
  WriteConfig(
      "[default]\n"
      "endpoint_url = http://profile:1\n"
      "services = local\n"
      "[services local]\n"
      "s3 =\n"
      "  endpoint_url = http://services:2\n"
      "[profile plain]\n"
      "endpoint_url = http://plain:3\n");
  AwsSettingsOverrides flags;
  flags.endpoint_url = "http://flag:0";
  const std::map<std::string, std::string> both = {{"AWS_ENDPOINT_URL_S3", "http://s3env"},
                                                  {"AWS_ENDPOINT_URL", "http://env"}};
  Result<AwsSettings> s = Resolve(flags, both);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->endpoint_url, "http://flag:0");
  EXPECT_EQ(s->endpoint_url_source, "--endpoint-url");

  s = Resolve({}, both);
  EXPECT_EQ(s->endpoint_url, "http://s3env");
  EXPECT_EQ(s->endpoint_url_source, "AWS_ENDPOINT_URL_S3");

  s = Resolve({}, {{"AWS_ENDPOINT_URL", "http://env"}});
  EXPECT_EQ(s->endpoint_url, "http://env");
  EXPECT_EQ(s->endpoint_url_source, "AWS_ENDPOINT_URL");

  s = Resolve({});
  EXPECT_EQ(s->endpoint_url, "http://services:2");
  EXPECT_NE(s->endpoint_url_source.find("[services local]"), std::string::npos);

  s = Resolve({}, {{"AWS_PROFILE", "plain"}});
  EXPECT_EQ(s->endpoint_url, "http://plain:3");
  EXPECT_EQ(s->endpoint_url_source, "profile \"plain\" in " + ConfigPath());

  // AWS_IGNORE_CONFIGURED_ENDPOINT_URLS leaves only the flag.
  s = Resolve({}, {{"AWS_ENDPOINT_URL", "http://env"}, {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"}});
  EXPECT_EQ(s->endpoint_url, "");
  s = Resolve(flags, {{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE"}});
  EXPECT_EQ(s->endpoint_url, "http://flag:0");
}

TEST_F(ResolveTest, CaBundle) {
  WriteConfig("[default]\nca_bundle = ~/certs/corp.pem\n");
  Result<AwsSettings> s = Resolve({});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->ca_bundle, dir_.path() + "/certs/corp.pem");
  EXPECT_EQ(s->ca_bundle_source, "profile \"default\" in " + ConfigPath());
  s = Resolve({}, {{"AWS_CA_BUNDLE", "/etc/ssl/x.pem"}});
  EXPECT_EQ(s->ca_bundle, "/etc/ssl/x.pem");
  EXPECT_EQ(s->ca_bundle_source, "AWS_CA_BUNDLE");
}

TEST_F(ResolveTest, PathStyle) {
  WriteConfig(
      "[default]\ns3 =\n  addressing_style = path\nregion = eu-west-1\n"
      "[profile virt]\ns3 =\n  addressing_style = virtual\n"
      "[profile bad]\ns3 =\n  addressing_style = sideways\n");
  Result<AwsSettings> s = Resolve({});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->path_style);
  EXPECT_EQ(s->region, "eu-west-1");  // the sub-section did not swallow it

  s = Resolve({}, {{"AWS_PROFILE", "virt"}});
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->path_style);

  AwsSettingsOverrides flags;
  flags.path_style = true;
  s = Resolve(flags, {{"AWS_PROFILE", "virt"}});
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->path_style);
  EXPECT_EQ(s->path_style_source, "--path-style");

  s = Resolve({}, {{"AWS_PROFILE", "bad"}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(s.status().ToString().find("addressing_style"), std::string::npos);
}

TEST_F(ResolveTest, MalformedFileStopsResolution) {
  WriteConfig("[default]\nregion = x\n");
  WriteCredentials("[default]\naws_access_key_id = A\nnot a pair\n");
  Result<AwsSettings> s = Resolve({});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(s.status().ToString().find(dir_.path() + "/.aws/credentials: line 3:"),
            std::string::npos)
      << s.status().ToString();
}

TEST_F(ResolveTest, FilesFromEnvironmentVariables) {
  const std::string cfg = dir_.Write("elsewhere/cfg", "[profile x]\nregion = from-custom\n");
  AwsSettingsOverrides flags;
  flags.profile = "x";
  Result<AwsSettings> s = Resolve(flags, {{"AWS_CONFIG_FILE", cfg}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->region, "from-custom");
  EXPECT_EQ(s->config_file, cfg);
}

}  // namespace
}  // namespace s3m::s3
