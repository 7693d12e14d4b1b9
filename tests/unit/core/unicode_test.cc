#include "core/unicode.h"

#include <gtest/gtest.h>

namespace s3m {
namespace {

const std::string kCafeNfc = "caf\xc3\xa9";    // é as one code point
const std::string kCafeNfd = "cafe\xcc\x81";   // e + COMBINING ACUTE ACCENT

TEST(UnicodeTest, NfcComposes) {
  EXPECT_EQ(Nfc(kCafeNfd), kCafeNfc);
  EXPECT_EQ(Nfc(kCafeNfc), kCafeNfc);
  EXPECT_EQ(Nfc("photos/2020/cat.jpg"), "photos/2020/cat.jpg");
  EXPECT_EQ(Nfc(""), "");
  // Case is kept.
  EXPECT_EQ(Nfc("\xc3\x84rger"), "\xc3\x84rger");
}

TEST(UnicodeTest, CaseFoldIsFullAndNormalised) {
  EXPECT_EQ(CaseFoldNfc("\xc3\x84rger"), CaseFoldNfc("\xc3\xa4rger"));  // Ärger / ärger
  EXPECT_EQ(CaseFoldNfc("A\xcc\x88rger"), CaseFoldNfc("\xc3\xa4rger"));  // NFD Ä / NFC ä
  EXPECT_EQ(CaseFoldNfc("CAF\xc3\x89"), CaseFoldNfc(kCafeNfd));          // CAFÉ / café (NFD)
  EXPECT_EQ(CaseFoldNfc("STRASSE"), CaseFoldNfc("stra\xc3\x9f" "e"));    // ß folds to ss
  EXPECT_EQ(CaseFoldNfc("\xce\xa3\xce\xb9\xcf\x83"), CaseFoldNfc("\xcf\x83\xce\xb9\xcf\x82"));  // Σισ / σις
  EXPECT_EQ(CaseFoldNfc("Foo/BAR.txt"), "foo/bar.txt");
  EXPECT_NE(CaseFoldNfc("foo"), CaseFoldNfc("fo0"));
}

TEST(UnicodeTest, InvalidUtf8IsLeftAlone) {
  const std::string bad = "A\xff\xfe";
  EXPECT_EQ(Nfc(bad), bad);
  EXPECT_EQ(CaseFoldNfc(bad), bad);
}

TEST(UnicodeTest, NameIdentityFollowsTheEquivalence) {
  EXPECT_NE(NameIdentity(kCafeNfc, NameEquivalence::kExact), NameIdentity(kCafeNfd, NameEquivalence::kExact));
  EXPECT_EQ(NameIdentity(kCafeNfc, NameEquivalence::kNormalized),
            NameIdentity(kCafeNfd, NameEquivalence::kNormalized));
  EXPECT_NE(NameIdentity("Foo", NameEquivalence::kNormalized), NameIdentity("foo", NameEquivalence::kNormalized));
  EXPECT_EQ(NameIdentity("Foo", NameEquivalence::kCaseFolded), NameIdentity("foo", NameEquivalence::kCaseFolded));
  EXPECT_EQ(NameIdentity(kCafeNfd, NameEquivalence::kCaseFolded), NameIdentity("CAF\xc3\x89", NameEquivalence::kCaseFolded));
}

}  // namespace
}  // namespace s3m
