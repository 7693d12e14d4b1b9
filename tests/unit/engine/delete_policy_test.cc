// The one eligibility rule for deletes (engine/core/delete_policy.h), as a
// table: the gate applies it to every request and the decision core asks it
// before it queues one.
#include "engine/core/delete_policy.h"

#include <gtest/gtest.h>

namespace s3m::engine {
namespace {

TEST(DeletePolicyTest, OneRuleDecidesWhatMayBeDeleted) {
  struct Row {
    bool keep_source, allow_size_only, dry_run, size_only;
    bool refused;
    const char* because;
  };
  const Row rows[] = {
      {false, false, false, false, false, ""},
      {false, false, true, false, false, ""},  // --dry-run: the gate reports, sends nothing
      {true, false, false, false, true, "--keep-source"},
      {true, true, false, true, true, "--keep-source"},
      {true, false, true, false, true, "--keep-source"},
      {false, false, false, true, true, "size only"},
      {false, true, false, true, false, ""},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(::testing::Message() << "keep_source=" << row.keep_source << " allow_size_only="
                                      << row.allow_size_only << " dry_run=" << row.dry_run
                                      << " size_only=" << row.size_only);
    const DeletePolicy policy({row.dry_run, row.keep_source, row.allow_size_only});
    DeleteRequest request{1, "b", "k", "", "etag", 10, row.size_only};
    const auto refusal = policy.Refusal(request);
    EXPECT_EQ(refusal.has_value(), row.refused);
    if (refusal) {
      EXPECT_NE(refusal->find(row.because), std::string::npos) << *refusal;
    }
    EXPECT_EQ(policy.RefusesEverything(), row.keep_source);
    EXPECT_EQ(policy.dry_run(), row.dry_run);
  }
}

}  // namespace
}  // namespace s3m::engine
