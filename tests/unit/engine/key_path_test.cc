#include "engine/key_path.h"

#include <random>
#include <set>

#include <gtest/gtest.h>

namespace s3m::engine {
namespace {

struct Case {
  std::string key;
  std::string path;
  bool is_directory;
};

class MapKeyTest : public ::testing::TestWithParam<Case> {};

TEST_P(MapKeyTest, MapsToTheNaturalNameOrTheDocumentedEscape) {
  const Case& c = GetParam();
  LocalName name = MapKeyToLocalName(c.key);
  EXPECT_EQ(name.relative_path, c.path);
  EXPECT_EQ(name.is_directory, c.is_directory);
  EXPECT_EQ(name.escaped, c.path != c.key && c.path + "/" != c.key);
  EXPECT_TRUE(IsConfinedRelativePath(name.relative_path)) << name.relative_path;
}

INSTANTIATE_TEST_SUITE_P(
    Keys, MapKeyTest,
    ::testing::Values(
        Case{"photos/2020/cat.jpg", "photos/2020/cat.jpg", false},
        Case{"file with spaces+plus=eq&amp.txt", "file with spaces+plus=eq&amp.txt", false},
        Case{"unicode/\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x98\x80", "unicode/\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x98\x80", false},
        Case{"dir/", "dir", true},
        Case{"a/b/c/", "a/b/c", true},
        Case{"../x", "%2E%2E/x", false},
        Case{"a/../../etc/passwd", "a/%2E%2E/%2E%2E/etc/passwd", false},
        Case{"./x", "%2E/x", false},
        Case{"..", "%2E%2E", false},
        Case{"/abs", "%2F/abs", false},
        Case{"/", "%2F", true},
        Case{"//", "%2F/%2F", true},
        Case{"a//b", "a/%2F/b", false},
        Case{"a/", "a", true},
        // Natural names: '%' is an ordinary character (issue 14).
        Case{"100%", "100%", false},
        Case{"100%/done 100%.txt", "100%/done 100%.txt", false},
        Case{"percent%20x", "percent%20x", false},
        Case{"%2F", "%2F", false},
        Case{"%", "%", false},
        Case{"a+b #1 &c=d;e@f!g'h(i)[j]{k}$l`m,n", "a+b #1 &c=d;e@f!g'h(i)[j]{k}$l`m,n", false},
        Case{"caf\xc3\xa9/cafe\xcc\x81/\xc3\x84rger", "caf\xc3\xa9/cafe\xcc\x81/\xc3\x84rger", false},
        Case{"a\\b:c*d?e\"f<g>h|i", "a\\b:c*d?e\"f<g>h|i", false},
        // The spelling of partial files is never an object's.
        Case{".x%~partial", "%2Ex%~partial", false},
        Case{"dir/.%~partial", "dir/%2E%~partial", false},  // found by tests/fuzz/key_path_fuzz.cc
        Case{"x%~partial", "x%~partial", false},
        Case{"tab\there", "tab%09here", false},
        Case{"new\nline\r", "new%0Aline%0D", false},
        Case{std::string("nul\0byte", 8), "nul%00byte", false},
        Case{"del\x7f", "del%7F", false},
        Case{"bad\xff\xfeutf8", "bad%FF%FEutf8", false},
        Case{"overlong\xc0\xaf", "overlong%C0%AF", false},
        Case{"surrogate\xed\xa0\x80", "surrogate%ED%A0%80", false},
        Case{"truncated\xe6\x97", "truncated%E6%97", false},
        Case{"~tilde/%~reserved", "~tilde/%~reserved", false},
        Case{"...", "...", false},
        Case{".hidden", ".hidden", false}));

TEST(MapKeyTest, LongSegmentsAreShortenedWithAHash) {
  const std::string long_segment(300, 'x');
  LocalName name = MapKeyToLocalName("dir/" + long_segment);
  ASSERT_TRUE(IsConfinedRelativePath(name.relative_path));
  const std::string last = name.relative_path.substr(4);
  EXPECT_EQ(last.size(), 200u + 2 + 16);
  EXPECT_EQ(last.substr(0, 200), std::string(200, 'x'));
  EXPECT_EQ(last.substr(200, 2), "%~");
  EXPECT_TRUE(name.escaped);
  // One character more is another name.
  EXPECT_NE(MapKeyToLocalName("dir/" + long_segment + "y").relative_path, name.relative_path);
}

TEST(MapKeyTest, ShorteningNeverSplitsACharacterOrAnEscape) {
  for (size_t pad = 0; pad < 6; ++pad) {
    std::string key(pad, 'p');
    for (int i = 0; i < 120; ++i) key += "\xe6\x97\xa5\x01";  // 3-byte char, then an escaped byte
    const std::string path = MapKeyToLocalName(key).relative_path;
    ASSERT_LE(path.size(), 255u);
    const std::string kept = path.substr(0, path.rfind("%~"));
    // The kept prefix ends on a whole character and a whole escape.
    EXPECT_EQ(kept.find_first_of(std::string("\x01", 1)), std::string::npos) << pad;
    ASSERT_GE(kept.size(), 3u);
    const std::string tail = kept.substr(kept.size() - 3);
    EXPECT_TRUE(tail == "%01" || tail == "\xe6\x97\xa5") << pad << ": " << tail;
  }
}

TEST(IsConfinedRelativePathTest, RejectsAnythingThatCouldLeaveTheFolder) {
  for (const char* bad : {"", "/etc", "a/../b", "..", ".", "a//b", "a/", "a/./b"}) {
    EXPECT_FALSE(IsConfinedRelativePath(bad)) << bad;
  }
  EXPECT_FALSE(IsConfinedRelativePath(std::string("a\0b", 3)));
  EXPECT_FALSE(IsConfinedRelativePath(std::string(256, 'x')));
  EXPECT_TRUE(IsConfinedRelativePath("a/b/c.txt"));
  EXPECT_TRUE(IsConfinedRelativePath("..."));
}

TEST(ConflictNameTest, DistinctPerKeyAndStillConfined) {
  std::set<std::string> names;
  for (const std::string& key : std::vector<std::string>{"a", "A", "Foo", "foo", "dir/a", std::string(254, 'z'),
                                std::string(300, 'q') + "/x/" + std::string(250, 'w')}) {
    const std::string name = ConflictName(key);
    EXPECT_TRUE(IsConfinedRelativePath(name)) << name;
    EXPECT_NE(name, MapKeyToLocalName(key).relative_path);
    EXPECT_TRUE(names.insert(name).second) << key;
  }
  EXPECT_EQ(ConflictName("dir/a").substr(0, 6), "dir/a%");
}

// Property: for random keys drawn from an alphabet full of separators, dots,
// escapes and invalid bytes, the mapping is confined and within name limits,
// and a key that is a valid name maps to itself.
TEST(MapKeyPropertyTest, ConfinedAndNaturalOnRandomKeys) {
  std::string alphabet = "/./%~aA\x01\n\xff\xc3\xa9 ";
  alphabet.push_back('\0');
  std::mt19937 rng(20261124);
  for (int i = 0; i < 200000; ++i) {
    std::string key;
    const int len = 1 + static_cast<int>(rng() % 12);
    for (int k = 0; k < len; ++k) key.push_back(alphabet[rng() % alphabet.size()]);
    if (rng() % 500 == 0) key += std::string(300 + rng() % 50, 'L');
    LocalName name = MapKeyToLocalName(key);
    ASSERT_TRUE(IsConfinedRelativePath(name.relative_path)) << name.relative_path;
    const bool plain = key.find_first_of(std::string("\x01\n\xff\0", 4)) == std::string::npos &&
                       key.find_first_of("\xc3\xa9") == std::string::npos &&
                       key.find("//") == std::string::npos && key.front() != '/' &&
                       key.find("/./") == std::string::npos && key.find("/../") == std::string::npos &&
                       !key.starts_with("./") && !key.starts_with("../") && key != "." &&
                       key != ".." && !key.ends_with("/.") && !key.ends_with("/..") &&
                       key.size() < 250;
    if (plain) {
      const std::string expected = name.is_directory ? key.substr(0, key.size() - 1) : key;
      ASSERT_EQ(name.relative_path, expected);
    }
  }
}

}  // namespace
}  // namespace s3m::engine
